import ArgumentParser
import Foundation
import LikenessCore
import LikenessStore
import LikenessUseCases
import LikenessVision

/// `likeness migrate --to PACK`: embeds every enrolled face again with another pack, from the
/// crops kept at enrolment, beside a running server (which keeps answering with its pack), then
/// switches the gallery over on command.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Re-embed the gallery with another model pack, from the stored face crops; resumable.",
        discussion: """
            Runs beside `likeness serve`, which keeps answering with its own pack. Each face embedded is saved at once, \
            so a run that is stopped or killed resumes where it stopped. Faces the new pack cannot embed (no stored \
            crop, or no face found in it) are listed. With --switch (once nothing is left), every migrated face serves \
            under the new recognizer, in one transaction, and its old embedding is kept until --drop-old; the pack is \
            recorded in the database, so a server restarted without --pack serves with it.
            """
    )

    @Option(help: "The target pack: an installed pack's name or a pack file.") var to: String
    @OptionGroup var store: StoreOptions
    @Option(help: "Model directory (default: $LIKENESS_MODEL_DIR, $LIKENESS_DATA_DIR/models, ./data/models).") var modelDir: String?
    @Option(help: "Crops analysed at once (default: the number of cores).") var workers: Int?
    @Option(help: "Faces per batch between progress reports.") var batch: Int = 32
    @Option(help: "Stop after this many faces (a partial run; the next run goes on).") var limit: Int?
    @Flag(help: "Only report how far the migration is.") var status = false
    @Flag(name: .customLong("switch"), help: "When every face is embedded or missed, serve the gallery under the new recognizer.")
    var switchOver = false
    @Option(help: "Forget the embeddings kept for this recognizer after an earlier switch.") var dropOld: String?

    func run() async throws {
        var options = try PipelineOptions.parse(["--pack", to] + (modelDir.map { ["--model-dir", $0] } ?? []))
        options.liveness = false
        options.attributes = false
        let pipeline = try options.makePipeline()
        let sql = try SQLStore(store.resolved, connections: 2)
        let target = pipeline.recognizer.id
        let cores = ProcessInfo.processInfo.activeProcessorCount

        if let old = dropOld {
            let dropped = try await sql.dropKeptEmbeddings(recognizer: RecognizerID(old))
            print("migrate: forgot \(dropped) kept embeddings of \(old)")
            return
        }
        if status {
            try await printStatus(sql, target: target)
            return
        }
        let migration = ModelMigration(store: sql, analyzer: pipeline, workers: max(1, workers ?? cores))
        let result = try await migration.run(batch: max(1, batch), limit: limit) { report in
            let p = report.progress
            let eta = report.secondsLeft.map { String(format: ", about %.0f s left", $0) } ?? ""
            // Unbuffered, so that a watcher (or a log) sees each batch as it lands.
            let rate = String(format: "%.1f", report.facesPerSecond)
            let line = "migrate: \(p.embedded) of \(p.total) embedded for \(target.rawValue), \(p.missed) missed, \(rate) faces/s\(eta)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        try await printStatus(sql, target: target)
        guard switchOver else {
            if result.progress.remaining == 0 {
                print("migrate: done; run again with --switch to serve under \(target.rawValue), then restart the server with --pack \(to)")
            }
            return
        }
        guard result.progress.remaining == 0 else {
            print("migrate: \(result.progress.remaining) faces are left; not switching")
            throw ExitCode(1)
        }
        let switched = try await sql.switchRecognizer(to: target, pack: PackRegistry.reference(to))
        print("migrate: \(switched) faces now serve under \(target.rawValue); a server restarted without --pack serves with \(to)")
    }

    private func printStatus(_ sql: SQLStore, target: RecognizerID) async throws {
        let p = try await sql.migrationProgress(to: target)
        let counts = try await sql.faceCountsByRecognizer().sorted { $0.key.rawValue < $1.key.rawValue }
        print("migrate: faces by serving recognizer: " + counts.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        print("migrate: \(target.rawValue): \(p.embedded) embedded, \(p.missed) missed, \(p.remaining) left of \(p.total)")
        for miss in try await sql.migrationMisses(to: target) {
            print("migrate: missed face \(miss.faceID) of \(miss.classID): \(miss.reason)")
        }
    }
}
