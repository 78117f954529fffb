import CONNXRuntime
import Foundation

/// What the model-task types (SCRFD, ArcFace-family, MiniFASNet, genderage) need of a network:
/// its output names, and a forward pass of one float tensor.
public protocol ONNXNetwork: Sendable {
    var path: String { get }
    var outputNames: [String] { get }
    /// Runs one input tensor; returns the named outputs (nil: the first output) in order.
    func forward(_ input: [Float], shape: [Int], outputs: [String?]) throws -> [Tensor]
}

extension ONNXNetwork {
    public func forward(_ input: [Float], shape: [Int]) throws -> [Tensor] { try forward(input, shape: shape, outputs: [nil]) }
}

/// The engine that runs ONNX models: ONNX Runtime where its library is installed (about twice
/// as fast as OpenCV DNN here, and it runs models with dynamic input sizes), else OpenCV DNN.
/// `LIKENESS_ONNX_ENGINE=opencv` forces OpenCV, for comparisons.
public enum ONNXEngine: String, Sendable {
    case onnxRuntime = "onnxruntime"
    case openCV = "opencv"

    public static let preferred: ONNXEngine = {
        if ProcessInfo.processInfo.environment["LIKENESS_ONNX_ENGINE"] == "opencv" { return .openCV }
        return ONNXRuntimeNet.isAvailable ? .onnxRuntime : .openCV
    }()

    public func load(_ path: String) throws -> any ONNXNetwork {
        switch self {
        case .onnxRuntime: try ONNXRuntimeNet(path: path)
        case .openCV: try OpenCVNet(path: path)
        }
    }
}

/// An ONNX model run by ONNX Runtime. One session per model serves every thread at once (ORT's
/// Run is thread-safe), each pass on the calling thread (one intra-op thread), so the server's
/// workers are the parallelism, as with the other native libraries.
public final class ONNXRuntimeNet: ONNXNetwork, @unchecked Sendable {
    public let path: String
    public let outputNames: [String]
    private let session: OpaquePointer

    /// Whether the runtime library loads and speaks this shim's API version.
    public static let isAvailable: Bool = {
        var err = [CChar](repeating: 0, count: 256)
        return lort_available(&err, err.count) == 0
    }()

    /// Intra-op threads per session: `LIKENESS_ORT_THREADS`, else every core, so a lone request
    /// uses the whole machine; concurrent requests share each session's (non-spinning) pool.
    public static let defaultThreads: Int = {
        if let text = ProcessInfo.processInfo.environment["LIKENESS_ORT_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Loads `path`; a missing, truncated or non-ONNX file is a `ModelLoadError` naming it.
    public convenience init(path: String, threads: Int = ONNXRuntimeNet.defaultThreads) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ModelLoadError(path: path, reason: "file not found")
        }
        try self.init(path: path, threads: threads, model: nil)
    }

    /// A model edited in memory (`path` names its file in errors).
    public convenience init(path: String, model: [UInt8], threads: Int = ONNXRuntimeNet.defaultThreads) throws {
        try self.init(path: path, threads: threads, model: .some(model))
    }

    private init(path: String, threads: Int, model: [UInt8]?) throws {
        var out: OpaquePointer?
        do {
            try NativeError.check("onnxruntime") { err, len in
                if let model {
                    return model.withUnsafeBytes { lort_session_create_from_bytes($0.baseAddress, $0.count, Int32(threads), &out, err, len) }
                }
                return lort_session_create(path, Int32(threads), &out, err, len)
            }
        } catch {
            throw ModelLoadError(path: path, reason: "not a loadable ONNX model (\(OpenCVNet.firstLine(error.message)))")
        }
        guard let session = out else { throw ModelLoadError(path: path, reason: "not a loadable ONNX model") }
        var buffer = [CChar](repeating: 0, count: 4096)
        do {
            try NativeError.check("onnxruntime") { err, len in
                buffer.withUnsafeMutableBufferPointer { lort_output_names(session, $0.baseAddress, $0.count, err, len) }
            }
        } catch {
            lort_session_free(session)
            throw ModelLoadError(path: path, reason: "\(error)")
        }
        self.path = path
        self.outputNames = Tensor.names(buffer)
        self.session = session
    }

    deinit { lort_session_free(session) }

    public func forward(_ input: [Float], shape: [Int], outputs: [String?]) throws -> [Tensor] {
        precondition(shape.reduce(1, *) == input.count, "input does not match its shape")
        let count = outputs.count
        var pointers = [UnsafeMutablePointer<Float>?](repeating: nil, count: count)
        var lengths = [Int](repeating: 0, count: count)
        var shapes = [Int64](repeating: 0, count: count * 4)
        let dims = shape.map { Int64($0) }
        // strdup'ed names: C needs stable pointers for the whole call.
        let names = outputs.map { $0.map { strdup($0) } ?? nil }
        defer { names.forEach { free($0) } }
        try NativeError.check("onnxruntime") { err, len in
            let cNames = names.map { UnsafePointer($0) }
            return cNames.withUnsafeBufferPointer { namesPointer in
                lort_run(session, input, dims, dims.count, namesPointer.baseAddress, count, &pointers, &lengths, &shapes, err, len)
            }
        }
        defer { pointers.forEach { lort_floats_free($0) } }
        return Tensor.outputs(pointers, lengths, shapes)
    }
}
