import LikenessCore
import LikenessVision

/// How the image commands print results and failures, one JSON object a line.
enum AnalysisJSON {
    static func rounded(_ v: Double, _ places: Double = 1000) -> JSON { .number((v * places).rounded() / places) }

    static func face(_ face: AnalyzedFace, withEmbedding: Bool) -> JSON {
        let d = face.detection
        var fields: [(String, JSON)] = [
            ("box", .array([d.box.x, d.box.y, d.box.width, d.box.height].map { rounded($0) })),
            ("score", rounded(d.score, 10000)),
            ("landmarks", .array((d.landmarks?.points ?? []).map { .array([rounded($0.x), rounded($0.y)]) })),
        ]
        if let l = face.liveness {
            fields.append(("liveness", .object([("score", rounded(l.score, 1e6)), ("threshold", .number(l.threshold)),
                                                ("real", .bool(l.isReal))])))
        }
        if let a = face.attributes {
            fields.append(("age", .number(Double(a.age))))
            fields.append(("gender", .string(a.gender.rawValue)))
        }
        if let q = face.quality {
            var quality: [(String, JSON)] = [("overall", rounded(q.overall)), ("size", rounded(q.size, 10)),
                                             ("sharpness", rounded(q.sharpness, 10)), ("brightness", rounded(q.brightness))]
            for (name, value) in [("yaw", q.yaw), ("pitch", q.pitch), ("roll", q.roll)] {
                if let value { quality.append((name, rounded(value, 10))) }
            }
            fields.append(("quality", .object(quality)))
        }
        if withEmbedding, let e = face.embedding {
            fields.append(("embedding", .array(e.vector.map { .number(Double($0)) })))
        }
        return .object(fields)
    }

    static func image(path: String, _ analysis: ImageAnalysis, withEmbedding: Bool) -> JSON {
        .object([
            ("path", .string(path)),
            ("width", .number(Double(analysis.width))),
            ("height", .number(Double(analysis.height))),
            ("faces", .array(analysis.faces.map { face($0, withEmbedding: withEmbedding) })),
            ("timings_ms", .object(analysis.timings.stages.map { ($0.name, rounded($0.milliseconds)) })),
        ])
    }

    static func error(path: String, _ error: any Error) -> JSON {
        let (code, message) = describe(error)
        return .object([("path", .string(path)), ("error", .object([("code", .string(code)), ("message", .string(message))]))])
    }

    static func describe(_ error: any Error) -> (code: String, message: String) {
        switch error {
        case let e as ImageError: (e.code, e.message)
        case let e as ModelLoadError: ("model_unavailable", e.description)
        case let e as FileReadError: ("file_unreadable", e.description)
        case let e as NativeError: ("internal", e.description)
        default: ("internal", "\(error)")
        }
    }
}

struct FileReadError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "cannot read \(path): \(reason)" }
}
