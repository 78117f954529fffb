import Foundation
import Hummingbird
import LikenessUseCases
import Prometheus
import Synchronization

/// `/metrics` in Prometheus's text format. Counters and histograms are recorded where the work
/// happens (requests by Hummingbird's MetricsMiddleware, stages by `StageMetrics`, error codes
/// by `ErrorMiddleware`); the gauges of state (queues, index) are read here, at scrape time,
/// so that the hot path pays nothing for them.
struct MetricsController: Sendable {
    typealias Context = LikenessRequestContext
    let registry: PrometheusCollectorRegistry
    let gallery: GalleryService
    let executors: WorkExecutors
    let pack: String
    private let indexInfo = IndexInfoSeries()

    init(registry: PrometheusCollectorRegistry, gallery: GalleryService, executors: WorkExecutors, pack: String) {
        self.registry = registry
        self.gallery = gallery
        self.executors = executors
        self.pack = pack
        Self.gauge(registry, "build_info", labels: [("version", LikenessVersion.current), ("pack", pack),
                                                                  ("recognizer", gallery.recognition.recognizer.id.rawValue)],
                           help: "Always 1; the labels say what runs.").set(to: 1)
    }

    /// A gauge named likeness_`name` (the registry hands back the same one for the same labels).
    private func gauge(_ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        Self.gauge(registry, name, labels: labels, help: help)
    }

    private static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "likeness", metricName: name, unitName: "", helpText: help), labels: labels)
    }

    func addRoutes(to root: RouterGroup<Context>) {
        root.get("metrics", use: metrics)
    }

    @Sendable func metrics(_ request: Request, context: Context) async throws -> Response {
        for (name, executor) in [("inference", executors.inference), ("index", executors.index), ("bcrypt", executors.passwords)] {
            let load = executor.load
            gauge("executor_running", labels: [("executor", name)], help: "Jobs running on the executor's threads.")
                .set(to: Double(load.running))
            gauge("executor_queued", labels: [("executor", name)], help: "Jobs waiting for a thread.")
                .set(to: Double(load.waiting))
            gauge("executor_queue_limit", labels: [("executor", name)], help: "Jobs allowed to wait before 503.")
                .set(to: Double(executor.queueLimit))
        }
        let status = await gallery.indexStatus
        gauge("index_vectors", help: "Faces in the serving index.").set(to: Double(status.count))
        gauge("index_memory_bytes", help: "Bytes the index's vectors take.").set(to: Double(status.details.memoryBytes))
        gauge("index_position", help: "Change-log position the index reflects.").set(to: Double(status.position))
        if let database = status.databasePosition {
            gauge("database_position", help: "The database's change-log position.").set(to: Double(database))
        }
        if let at = status.details.snapshotAt {
            gauge("index_snapshot_timestamp_seconds", help: "When the last snapshot was written.")
                .set(to: at.timeIntervalSince1970)
        }
        // The serving kind changes with rebuilds: one series at a time.
        let labels = [("setting", status.details.setting.rawValue), ("serving", status.details.serving)]
        indexInfo.current.withLock { current in
            let gauge = gauge("index_info", labels: labels, help: "Always 1; the labels say which index serves.")
            if let current, current !== gauge { registry.unregisterGauge(current) }
            gauge.set(to: 1)
            current = gauge
        }
        var body = ByteBuffer()
        body.writeBytes(registry.emitToBuffer())
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: body))
    }
}

/// The one `likeness_index_info` series now emitted.
private final class IndexInfoSeries: Sendable {
    let current = Mutex<Gauge?>(nil)
}
