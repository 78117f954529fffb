/// Frees an ONNX model's input height and width, in memory, so ONNX Runtime runs it at any
/// size. Models exported for OpenCV pin them (YuNet 2022mar says [1, 3, 120, 160]) although
/// their graphs are fully convolutional: OpenCV resizes them at will, ONNX Runtime refuses
/// another shape unless the file names the dimensions instead of fixing them.
///
/// Only the few protobuf fields on the way are read (ModelProto.graph, GraphProto's input,
/// output and value_info, down to TensorShapeProto.dim); everything else is copied byte for byte.
enum ONNXShapeEditor {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The model with input dims 2 and 3 named `height` and `width`, every output dim named,
    /// and the intermediate shapes (value_info) dropped so nothing pins them again.
    static func freeingSpatialInput(_ model: [UInt8]) throws -> [UInt8] {
        try edit(model, path: "model") { field in
            guard field.number == 7 else { return [field] }  // ModelProto.graph
            var inputs = 0
            return [field.with(try edit(field.payload, path: "graph") { g in
                switch g.number {
                case 11:
                    // Only the first input: older files also list every weight as an input.
                    inputs += 1
                    guard inputs == 1 else { return [g] }
                    return [g.with(try editShape(g.payload) { dims in
                    dims.enumerated().map { i, dim in i == 2 ? named("height") : i == 3 ? named("width") : dim }
                })]
                case 12: return [g.with(try editShape(g.payload) { dims in dims.indices.map { named("d\($0)") } })]
                case 13: return []
                default: return [g]
                }
            })]
        }
    }

    // MARK: protobuf

    struct Field {
        var number: Int
        var wireType: Int
        /// The value's bytes: for length-delimited fields, the payload without its length.
        var payload: [UInt8]

        func with(_ payload: [UInt8]) -> Field { Field(number: number, wireType: wireType, payload: payload) }

        var encoded: [UInt8] {
            var out = varint(UInt64(number << 3 | wireType))
            if wireType == 2 { out += varint(UInt64(payload.count)) }
            return out + payload
        }
    }

    /// A Dimension holding only dim_param.
    private static func named(_ name: String) -> Field {
        Field(number: 1, wireType: 2, payload: Field(number: 2, wireType: 2, payload: Array(name.utf8)).encoded)
    }

    /// ValueInfoProto.type (2) -> TypeProto.tensor_type (1) -> shape (2) -> dim (1, repeated).
    private static func editShape(_ valueInfo: [UInt8], _ change: ([Field]) -> [Field]) throws -> [UInt8] {
        try edit(valueInfo, path: "value info") { v in
            guard v.number == 2 else { return [v] }
            return [v.with(try edit(v.payload, path: "type") { t in
                guard t.number == 1 else { return [t] }
                return [t.with(try edit(t.payload, path: "tensor type") { tensor in
                    guard tensor.number == 2 else { return [tensor] }
                    let fields = try parse(tensor.payload, path: "shape")
                    let dims = change(fields.filter { $0.number == 1 })
                    return [tensor.with((fields.filter { $0.number != 1 } + dims).flatMap(\.encoded))]
                })]
            })]
        }
    }

    private static func edit(_ message: [UInt8], path: String, _ change: (Field) throws -> [Field]) throws -> [UInt8] {
        try parse(message, path: path).flatMap { try change($0) }.flatMap(\.encoded)
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> [Field] {
        var fields: [Field] = []
        var i = 0
        func readVarint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw Malformed(description: "truncated varint in the \(path)") }
                let byte = bytes[i]
                i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while i < bytes.count {
            let key = try readVarint()
            let number = Int(key >> 3), wireType = Int(key & 7)
            let start = i
            switch wireType {
            case 0: _ = try readVarint()
            case 1: i += 8
            case 5: i += 4
            case 2:
                let length = try readVarint()
                guard length <= UInt64(bytes.count - i) else { throw Malformed(description: "a field runs past the end of the \(path)") }
                i += Int(length)
                fields.append(Field(number: number, wireType: 2, payload: Array(bytes[(i - Int(length))..<i])))
                continue
            default: throw Malformed(description: "unsupported wire type \(wireType) in the \(path)")
            }
            guard i <= bytes.count else { throw Malformed(description: "a field runs past the end of the \(path)") }
            fields.append(Field(number: number, wireType: wireType, payload: Array(bytes[start..<i])))
        }
        return fields
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }
}
