import ArgumentParser
import Foundation
import LikenessCore
import LikenessStore
import LikenessUseCases
import LikenessVision

/// `likeness import-original`: an original (Python FastAPI + FAISS + MySQL) deployment's people
/// and vectors, brought over without its photos.
struct ImportOriginalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-original",
        abstract: "Import an original deployment: people from its MySQL table, vectors from its FAISS index and .npz metadata.",
        discussion: """
            People are upserted by class_id. Vectors become faces under --recognizer, which must name the model that made \
            them (a pack with that model then searches them). Vectors already imported are skipped, so a run that stopped \
            is run again to finish. Where only photos exist, enroll them instead: likeness enroll DIR (DIR/<class_id>/*.jpg).
            """
    )

    @Option(help: "The original's database, mysql://user:pass@host:3306/db, for its people table.") var mysql: String?
    @Option(help: "The people table (columns class_id, name, info).") var peopleTable = "nguoi"
    @Option(help: "The original's FAISS index file (FAISS_INDEX_PATH).") var faissIndex: String?
    @Option(help: "The .npz beside the index: class ids (and optionally ids, names, infos) per vector (default: the index path with .npz).") var metadata: String?
    @Option(help: "The pack whose recognizer made the vectors (a name or pack file): its recognizer id and dimension are checked against the index.") var pack: String?
    @Option(help: "Model directory for --pack (default: $LIKENESS_MODEL_DIR, $LIKENESS_DATA_DIR/models, ./data/models).") var modelDir: String?
    @Option(help: "The recognizer id the vectors belong to, where the pack is not installed here (no dimension check).") var recognizer: String?
    @Option(help: "Faces written per transaction.") var batch = 1_000
    @Flag(help: "Read and check everything, write nothing.") var dryRun = false
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard mysql != nil || faissIndex != nil else { throw ValidationError("give --mysql, --faiss-index or both") }
        if faissIndex != nil, pack == nil, recognizer?.isEmpty ?? true {
            throw ValidationError("--faiss-index needs --pack (or --recognizer): the model that made the vectors")
        }
        if pack != nil, recognizer != nil { throw ValidationError("give --pack or --recognizer, not both") }
        guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be 1-100000") }
    }

    func run() async throws {
        let deployment: OriginalDeployment
        do {
            deployment = try OriginalDeployment.load(mysql: mysql, table: peopleTable, index: faissIndex, metadata: metadata)
        } catch {
            print(JSON.object([("error", .object([("code", .string("original_unreadable")), ("message", .string("\(error)"))]))]).text)
            throw ExitCode(1)
        }
        var recognizerID = recognizer ?? ""
        if let pack {
            let installed: InstalledPack
            do {
                installed = try PackRegistry(modelDirectory: modelDir ?? ModelDirectory.resolve()).resolve(pack)
            } catch {
                print(JSON.object([("error", .object([("code", .string("pack_not_found")), ("message", .string("\(error)"))]))]).text)
                throw ExitCode(1)
            }
            recognizerID = installed.pack.recognizer.id
            if let dimension = deployment.dimension, dimension != installed.pack.recognizer.embeddingSize {
                print(JSON.object([("error", .object([("code", .string("dimension_mismatch")), ("message", .string(
                    "the index holds \(dimension)-d vectors, \(recognizerID) makes \(installed.pack.recognizer.embeddingSize)-d ones: name the pack whose model made them"
                ))]))]).text)
                throw ExitCode(1)
            }
        }
        if !deployment.isInnerProduct {
            FileHandle.standardError.write(Data("import-original: the index is an L2 index; its vectors are normalised and compared by cosine here\n".utf8))
        }
        let summary: [(String, JSON)] = [
            ("people", .number(Double(deployment.gallery.people.count))), ("vectors", .number(Double(deployment.gallery.faces.count))),
            ("dimension", deployment.dimension.map { .number(Double($0)) } ?? .null),
        ]
        if dryRun {
            print(JSON.object(summary + [("dry_run", .bool(true))]).text)
            return
        }
        do {
            let gallery = try SQLStore(store.resolved, connections: 1)
            let report = try await OriginalImporter(gallery: gallery).run(
                deployment.gallery, recognizer: RecognizerID(recognizerID), batch: batch
            ) { done, total in
                FileHandle.standardError.write(Data("import-original: \(done) of \(total) vectors\n".utf8))
            }
            print(JSON.object(summary + [
                ("recognizer", recognizerID.isEmpty ? .null : .string(recognizerID)),
                ("people_inserted", .number(Double(report.peopleInserted))), ("people_updated", .number(Double(report.peopleUpdated))),
                ("people_without_row", .number(Double(report.peopleWithoutRow))),
                ("faces_added", .number(Double(report.facesAdded))), ("faces_skipped", .number(Double(report.facesSkipped))),
                ("faces_renormalized", .number(Double(report.facesRenormalized))), ("faces_rejected", .number(Double(report.facesRejected))),
            ]).text)
        } catch let error as StoreError {
            print(JSON.object([("error", .object([("code", .string("database")), ("message", .string(error.description))]))]).text)
            throw ExitCode(1)
        }
    }
}
