/// Writes small ONNX models byte by byte (protobuf wire format), so tests can make a model with
/// known outputs without Python: OpenCV then loads it like any other.
enum ONNXBuilder {
    /// A stand-in for InsightFace's genderage: input `data` [1,3,size,size] -> per-channel mean
    /// (GlobalAveragePool, Flatten) -> times `weights` -> output `fc1` [1,3].
    static func channelMeanModel(size: Int, weights: [Float]) -> [UInt8] {
        let nodes = [
            node(op: "GlobalAveragePool", inputs: ["data"], outputs: ["pooled"]),
            node(op: "Flatten", inputs: ["pooled"], outputs: ["flat"]),
            node(op: "Mul", inputs: ["flat", "weights"], outputs: ["fc1"]),
        ]
        var graph: [UInt8] = []
        for n in nodes { graph += field(1, message: n) }
        graph += field(2, string: "channel_mean")
        graph += field(5, message: tensor(name: "weights", dims: [1, 3], values: weights))
        graph += field(11, message: valueInfo(name: "data", dims: [1, 3, size, size]))
        graph += field(12, message: valueInfo(name: "fc1", dims: [1, 3]))
        var model: [UInt8] = []
        model += field(1, varint: 7) // ir_version
        model += field(2, string: "likeness-tests")
        model += field(7, message: graph)
        model += field(8, message: field(1, string: "") + field(2, varint: 13)) // opset 13
        return model
    }

    static func node(op: String, inputs: [String], outputs: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for i in inputs { out += field(1, string: i) }
        for o in outputs { out += field(2, string: o) }
        out += field(3, string: op.lowercased())
        out += field(4, string: op)
        return out
    }

    static func tensor(name: String, dims: [Int], values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for d in dims { out += field(1, varint: UInt64(d)) }
        out += field(2, varint: 1) // FLOAT
        var packed: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { packed += $0 } }
        out += field(4, bytes: packed)
        out += field(8, string: name)
        return out
    }

    static func valueInfo(name: String, dims: [Int]) -> [UInt8] {
        var shape: [UInt8] = []
        for d in dims { shape += field(1, message: field(1, varint: UInt64(d))) }
        let tensorType = field(1, varint: 1) + field(2, message: shape)
        return field(1, string: name) + field(2, message: field(1, message: tensorType))
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        repeat {
            let byte = UInt8(v & 0x7F)
            v >>= 7
            out.append(v == 0 ? byte : byte | 0x80)
        } while v != 0
        return out
    }

    static func field(_ number: Int, varint value: UInt64) -> [UInt8] { varint(UInt64(number << 3)) + varint(value) }
    static func field(_ number: Int, bytes: [UInt8]) -> [UInt8] { varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes }
    static func field(_ number: Int, string: String) -> [UInt8] { field(number, bytes: Array(string.utf8)) }
    static func field(_ number: Int, message: [UInt8]) -> [UInt8] { field(number, bytes: message) }
}
