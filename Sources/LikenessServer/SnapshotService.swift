import LikenessCore
import LikenessUseCases
import Logging
import ServiceLifecycle

/// Writes the index snapshot every `interval` when the gallery changed, and once more on
/// graceful shutdown. In the server's service group it is listed before the HTTP server, so it
/// shuts down after it: in-flight requests finish, then the last snapshot is written.
public struct SnapshotService: Service {
    let serving: ServingModel
    /// The index in service now (another after a pack switch, with a snapshot file of its own).
    var index: any GalleryIndex { serving.current.index }
    let interval: Duration
    let executor: BlockingExecutor
    let logger: Logger

    public init(serving: ServingModel, interval: Duration, logger: Logger) {
        self.serving = serving
        self.interval = interval
        // Snapshots fsync a file of up to gigabytes: a thread of their own.
        executor = BlockingExecutor(name: "likeness-snapshot", threads: 1)
        self.logger = logger
    }

    public func run() async throws {
        var written = index.position
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully else { break }
            if index.position != written {
                do {
                    written = try await snapshot()
                } catch {
                    logger.warning("index snapshot failed", metadata: ["error": "\(error)"])
                }
            }
        }
        // Graceful shutdown: the HTTP server has stopped, so the index holds every acknowledged face.
        let position = try await Task { [self] in try await snapshot() }.value
        logger.info("index snapshot written on shutdown", metadata: ["position": "\(position)"])
    }

    private func snapshot() async throws -> Int64 {
        let index = self.index
        return try await executor.run {
            let position = index.position
            try index.snapshot()
            return position
        }
    }
}
