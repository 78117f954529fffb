import Foundation
import LikenessCore
import Logging
import ServiceLifecycle

/// Keeps stored originals within their retention and size budget: a purge at start-up and then
/// every `interval`, so that a budget overshoot lasts at most one interval. Faces and their crops
/// are never touched; only the uploaded images go.
public struct OriginalRetentionService: Service {
    let gallery: any GalleryStore
    let retention: OriginalRetention
    let interval: Duration
    let logger: Logger
    let clock: @Sendable () -> Date

    public init(gallery: any GalleryStore, retention: OriginalRetention, interval: Duration = .seconds(600), logger: Logger,
                clock: @escaping @Sendable () -> Date = Date.init) {
        self.gallery = gallery
        self.retention = retention
        self.interval = interval
        self.logger = logger
        self.clock = clock
    }

    /// One purge, as the service runs it.
    @discardableResult
    public func purgeOnce() async throws -> OriginalPurge {
        let before = retention.maxAgeSeconds.map { Int64(clock().timeIntervalSince1970 * 1000) - $0 * 1000 }
        let purge = try await gallery.purgeOriginals(storedBefore: before, budgetBytes: retention.budgetBytes)
        if purge != OriginalPurge() {
            logger.info("stored originals purged", metadata: ["expired": "\(purge.expired)", "over_budget": "\(purge.overBudget)",
                                                             "bytes": "\(purge.bytes)"])
        }
        return purge
    }

    public func run() async throws {
        // A service that returns ends its group: with nothing to purge, wait for the shutdown.
        guard !retention.isUnlimited else { return try await gracefulShutdown() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await purgeOnce()
            } catch {
                // A database that is busy or away now is tried again next time.
                logger.warning("purging stored originals failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
