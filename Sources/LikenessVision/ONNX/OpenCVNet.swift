import COpenCV
import Foundation
import Synchronization

/// A float tensor that a network returned.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    /// The outputs a shim handed back: `lengths[i]` floats at `pointers[i]`, up to 4 dims at
    /// `shapes[4 * i ...]` (0 past the last).
    static func outputs<D: BinaryInteger>(_ pointers: [UnsafeMutablePointer<Float>?], _ lengths: [Int], _ shapes: [D]) -> [Tensor] {
        pointers.indices.map { i in
            Tensor(shape: Array(shapes[(i * 4)..<(i * 4 + 4)].map { Int($0) }.prefix { $0 > 0 }),
                   values: Array(UnsafeBufferPointer(start: pointers[i], count: lengths[i])))
        }
    }

    /// Output names as a shim writes them: newline-separated in a NUL-terminated buffer.
    static func names(_ buffer: [CChar]) -> [String] {
        buffer.withUnsafeBufferPointer { String(decoding: $0.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            .split(separator: "\n").map(String.init)
    }
}

/// An ONNX network run by OpenCV DNN. A forward pass keeps state in the network, so each copy
/// runs one pass at a time; a few copies let several images through at once.
public final class OpenCVNet: ONNXNetwork {
    public let path: String
    public let outputNames: [String]
    private let net: HandlePool

    /// Loads `path`; a missing, truncated or non-ONNX file is a `ModelLoadError` naming it.
    /// `copies`: how many passes may run at once. By default one per core, up to four, and no
    /// more than fit in 256 MB of weights: a 170 MB IResNet-50 gets one copy, MobileFaceNet four.
    public init(path: String, copies: Int? = nil) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ModelLoadError(path: path, reason: "file not found")
        }
        NativeRuntime.configure()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue ?? 0
        let byMemory = max(1, (256 << 20) / max(1, bytes))
        let pool = try HandlePool(copies: copies ?? min(HandlePool.defaultCopies, byMemory)) { () throws -> NativeHandle in
            var out: OpaquePointer?
            do {
                try NativeError.check("opencv") { lcv_net_load(path, &out, $0, $1) }
            } catch {
                let message = (error as? NativeError)?.message ?? "\(error)"
                throw ModelLoadError(path: path, reason: "not a loadable ONNX model (\(Self.firstLine(message)))")
            }
            return NativeHandle(out!, free: lcv_net_free)
        }
        var buffer = [CChar](repeating: 0, count: 4096)
        do {
            try pool.with { handle in
                try NativeError.check("opencv") { err, len in
                    buffer.withUnsafeMutableBufferPointer { lcv_net_output_names(handle.pointer, $0.baseAddress, $0.count, err, len) }
                }
            }
        } catch {
            throw ModelLoadError(path: path, reason: "\(error)")
        }
        self.path = path
        self.outputNames = Tensor.names(buffer)
        self.net = pool
    }

    /// Runs one input tensor; returns the named outputs (nil: the default output) in order.
    public func forward(_ input: [Float], shape: [Int], outputs: [String?]) throws -> [Tensor] {
        precondition(shape.reduce(1, *) == input.count, "input does not match its shape")
        let count = outputs.count
        var pointers = [UnsafeMutablePointer<Float>?](repeating: nil, count: count)
        var lengths = [Int](repeating: 0, count: count)
        var shapes = [Int32](repeating: 0, count: count * 4)
        let dims = shape.map { Int32($0) }
        // strdup'ed names: C needs stable pointers for the whole call.
        let names = outputs.map { $0.map { strdup($0) } ?? nil }
        defer { names.forEach { free($0) } }
        try net.with { net in
            try NativeError.check("opencv") { err, len in
                var cNames = names.map { UnsafePointer($0) }
                return lcv_net_forward(net.pointer, input, dims, Int32(dims.count), &cNames, Int32(count),
                                       &pointers, &lengths, &shapes, err, len)
            }
        }
        defer { pointers.forEach { lcv_floats_free($0) } }
        return Tensor.outputs(pointers, lengths, shapes)
    }

    /// OpenCV's messages span several lines and start with its source path; the part after
    /// "error:" says what went wrong.
    static func firstLine(_ message: String) -> String {
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let line = lines.first { $0.contains("error:") } ?? lines.first ?? message
        guard let marker = line.range(of: "error: ") else { return line }
        return String(line[marker.upperBound...])
    }
}
