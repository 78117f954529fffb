import LikenessCore
import Logging
import ServiceLifecycle

/// Keeps the approximate index suited to the gallery: builds it once the gallery outgrows an
/// exact scan, rebuilds it when tombstones pile up or IVF's lists no longer fit, drops it when
/// the gallery shrinks. Builds run beside the serving index, on a thread of their own.
public struct IndexMaintenanceService: Service {
    let index: any GalleryIndex
    let interval: Duration
    let executor: BlockingExecutor
    let logger: Logger

    public init(index: any GalleryIndex, interval: Duration, logger: Logger) {
        self.index = index
        self.interval = interval
        executor = BlockingExecutor(name: "likeness-index-maintenance", threads: 1)
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully else { break }
            do {
                if try await executor.run({ [index] in try index.maintain() }) {
                    logger.info("approximate index rebuilt", metadata: ["serving": "\(index.kind)", "faces": "\(index.count)"])
                }
            } catch {
                logger.warning("index maintenance failed", metadata: ["error": "\(error)"])
            }
        }
        executor.shutdown()
    }
}
