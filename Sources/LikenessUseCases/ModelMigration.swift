import Foundation
import LikenessCore

/// Re-embeds every stored face with another recognizer, from the crops kept at enrolment, while
/// the serving recognizer goes on answering: each face's new embedding is a row of its own, so
/// a run killed anywhere resumes where it stopped, and nothing serves under the new recognizer
/// until `switchRecognizer`.
public struct ModelMigration: Sendable {
    public let store: any EmbeddingMigrationStore
    /// The target pack's pipeline.
    public let analyzer: any FaceAnalyzer
    let executor: BlockingExecutor

    public struct Report: Sendable {
        public var progress: MigrationProgress
        /// Faces processed by this run, and how fast.
        public var processed: Int
        public var facesPerSecond: Double
        /// Seconds left at this run's rate; nil before anything was processed.
        public var secondsLeft: Double? {
            facesPerSecond > 0 ? Double(progress.remaining) / facesPerSecond : nil
        }
    }

    public init(store: any EmbeddingMigrationStore, analyzer: any FaceAnalyzer, workers: Int) {
        self.store = store
        self.analyzer = analyzer
        executor = BlockingExecutor(name: "migration", threads: max(1, workers))
    }

    public var target: RecognizerID { analyzer.recognizer.id }

    /// Embeds the faces left, `batch` at a time across the workers, reporting after each batch;
    /// stops after `limit` faces when given.
    public func run(batch: Int = 32, limit: Int? = nil, report: @Sendable (Report) async -> Void = { _ in }) async throws -> Report {
        let started = ContinuousClock.now
        var processed = 0
        var after: FaceID = 0
        func current() async throws -> Report {
            let seconds = started.duration(to: .now).inSeconds
            return Report(progress: try await store.migrationProgress(to: target), processed: processed,
                          facesPerSecond: seconds > 0 ? Double(processed) / seconds : 0)
        }
        while limit.map({ processed < $0 }) ?? true {
            // Stopped between batches (a server shutting down): every face done is saved.
            try Task.checkCancellation()
            let size = min(batch, limit.map { $0 - processed } ?? batch)
            let items = try await store.facesToMigrate(to: target, after: after, limit: size)
            guard let last = items.last else { break }
            let outcomes = try await withThrowingTaskGroup(of: (FaceID, Result<Embedding, MissReason>).self) { group in
                for item in items { group.addTask { (item.faceID, try await embed(item)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (id, outcome) in outcomes.sorted(by: { $0.0 < $1.0 }) {
                switch outcome {
                case let .success(embedding): try await store.saveMigratedEmbedding(faceID: id, embedding)
                case let .failure(miss): try await store.recordMigrationMiss(faceID: id, recognizer: target, reason: miss.reason)
                }
            }
            processed += items.count
            after = last.faceID
            await report(try await current())
        }
        return try await current()
    }

    struct MissReason: Error {
        var reason: String
    }

    /// The largest face of the crop, embedded; a crop that is missing, unreadable or without a
    /// face is a miss, listed for the operator, never a failure of the run.
    private func embed(_ item: MigrationItem) async throws -> Result<Embedding, MissReason> {
        guard let crop = item.crop else { return .failure(MissReason(reason: "no stored crop (enrolled before crops were kept)")) }
        do {
            let analysis = try await executor.run { [analyzer] in try analyzer.analyzeNow(crop, options: AnalysisOptions(maxFaces: 1)) }
            guard let embedding = analysis.faces.first?.embedding else {
                return .failure(MissReason(reason: "the new detector finds no face in the stored crop"))
            }
            return .success(embedding)
        } catch let error as ImageError {
            return .failure(MissReason(reason: "the stored crop is unreadable: \(error.message)"))
        }
    }
}
