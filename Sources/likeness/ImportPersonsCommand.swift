import ArgumentParser
import Foundation
import LikenessCore
import LikenessStore

/// Where the database is: --database-url, else $LIKENESS_DATABASE_URL, else an SQLite file in
/// the data directory.
struct StoreOptions: ParsableArguments {
    @Option(help: "sqlite:///path/likeness.db or mysql://user:pass@host:3306/db (default: $LIKENESS_DATABASE_URL, or sqlite in the data directory).")
    var databaseURL: String?

    var resolved: String {
        if let databaseURL { return databaseURL }
        let env = ProcessInfo.processInfo.environment
        if let url = env["LIKENESS_DATABASE_URL"], !url.isEmpty { return url }
        let data = env["LIKENESS_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        return "sqlite://\(data)/likeness.db"
    }
}

struct ImportPersonsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-persons",
        abstract: "Import people from a class_id,name,info CSV (UTF-8): upsert by class_id, all or nothing."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The CSV file.") var file: String

    func run() async throws {
        let people: [PersonImport]
        do {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw FileReadError(path: file, reason: "cannot read the file")
            }
            people = try PersonCSV.parse([UInt8](data))
        } catch let error as PersonCSVError {
            print(JSON.object([("error", .object([("code", .string("csv_invalid")), ("line", .number(Double(error.line))),
                                                  ("message", .string(error.description))]))]).text)
            throw ExitCode(1)
        } catch {
            print(AnalysisJSON.error(path: file, error).text)
            throw ExitCode(1)
        }
        do {
            let store = try SQLStore(store.resolved, connections: 1)
            let (inserted, updated) = try await store.importPeople(people)
            print(JSON.object([("file", .string(file)), ("inserted", .number(Double(inserted))), ("updated", .number(Double(updated)))]).text)
        } catch let error as StoreError {
            print(JSON.object([("error", .object([("code", .string("database")), ("message", .string(error.description))]))]).text)
            throw ExitCode(1)
        }
    }
}
