import CoreMetrics
import Prometheus

extension PrometheusMetricsFactory {
    /// The factory `likeness serve` bootstraps swift-metrics with: Prometheus names (the
    /// OpenTelemetry-style labels Hummingbird uses, "http.server.request.duration", become
    /// "http_server_request_duration"), and histogram buckets fine enough for millisecond stages.
    public static func likeness(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (prometheusName(name), labels.map { (prometheusName($0.0), $0.1) })
        }
        let fine: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                .seconds(1), .milliseconds(2500), .seconds(10)]
        factory.defaultDurationHistogramBuckets = fine
        return factory
    }

    static func prometheusName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }
}
