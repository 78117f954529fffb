import ArgumentParser
import Foundation
import LikenessServer
import Logging
import Metrics
import Prometheus

/// Logging and metrics for `likeness serve`, set up once before anything logs.
enum Observability {
    /// Log level from `--log-level` (or `DEBUG=true`, the original's switch); lines to standard
    /// error and, with `--log-file`, to a file rotated by size.
    static func bootstrapLogging(_ settings: Settings) throws -> Logger.Level {
        let level: Logger.Level
        if let name = settings.string("log_level") {
            guard let parsed = Logger.Level(rawValue: name.lowercased()) else {
                throw ValidationError("\(Settings.names("log_level")) = '\(name)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            level = parsed
        } else {
            level = try settings.bool("debug") ? .debug : .info
        }
        var file: RotatingLogFile?
        if let path = settings.string("log_file") {
            do {
                file = try RotatingLogFile(path: path, maxBytes: try settings.int("log_max_bytes", default: 10 << 20, range: 1024...(1 << 40)),
                                           keep: try settings.int("log_files", default: 5, range: 1...1000))
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("cannot open the log file \(path): \(error)")
            }
        }
        LoggingSystem.bootstrap { [file] label in
            var terminal = StreamLogHandler.standardError(label: label)
            terminal.logLevel = level
            guard let file else { return terminal }
            var handler = FileLogHandler(label: label, file: file)
            handler.logLevel = level
            return MultiplexLogHandler([terminal, handler])
        }
        return level
    }

    /// swift-metrics into a Prometheus registry, served at /metrics (`--metrics false` turns it off).
    static func bootstrapMetrics(_ settings: Settings) throws -> PrometheusCollectorRegistry? {
        guard try settings.optionalBool("metrics") ?? true else { return nil }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory.likeness(registry: registry))
        return registry
    }
}
