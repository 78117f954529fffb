import LikenessCore
import Logging
import ServiceLifecycle

/// Writes the index snapshot every `interval` when the gallery changed, and once more on
/// graceful shutdown. In the server's service group it is listed before the HTTP server, so it
/// shuts down after it: in-flight requests finish, then the last snapshot is written.
public struct SnapshotService: Service {
    let index: any GalleryIndex
    let interval: Duration
    let executor: BlockingExecutor
    let logger: Logger

    public init(index: any GalleryIndex, interval: Duration, logger: Logger) {
        self.index = index
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
        try await executor.run { [index] in
            let position = index.position
            try index.snapshot()
            return position
        }
    }
}
