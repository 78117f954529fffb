import CONNXRuntime
import Foundation
import LikenessCore
import Synchronization

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

/// An ONNX model run by ONNX Runtime, with intra-op threads chosen by load. Two sessions share
/// the model (ORT's Run is thread-safe): a wide one using every core, for a pass that runs
/// alone in the process, and a narrow one of one thread, for passes that run while others do.
/// A lone request thus uses the whole machine, while a busy server pays no thread hand-offs
/// (small models such as YuNet and MobileFaceNet run slower on two non-spinning threads than
/// on one when the other core is busy anyway).
public final class ONNXRuntimeNet: ONNXNetwork, @unchecked Sendable {
    public let path: String
    public let outputNames: [String]
    private let wide: OpaquePointer
    private let narrow: OpaquePointer

    /// ONNX Runtime passes running now, across every model of the process.
    private static let running = Atomic<Int>(0)

    /// Whether the runtime library loads and speaks this shim's API version.
    public static let isAvailable: Bool = {
        var err = [CChar](repeating: 0, count: 256)
        // Without spinning, the wide sessions share one process-wide pool of every core (see the shim).
        return lort_initialise(Int32(defaultThreads), spinning ? 1 : 0, &err, err.count) == 0
    }()

    /// Intra-op threads of the wide session: `LIKENESS_ORT_THREADS`, else every core. With 1,
    /// one session serves every pass.
    public static let defaultThreads: Int = {
        if let text = ProcessInfo.processInfo.environment["LIKENESS_ORT_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Whether the wide sessions' threads spin between operators while a pass runs, each session
    /// with a pool of its own that stops spinning when the pass ends (`LIKENESS_ORT_SPIN=0`: they
    /// sleep, and share one pool). On by default since wide passes are only for the request alone
    /// in the server: on 2 cores (bench/ab.py) c=1 p50 0.86-0.92x and c=4 throughput
    /// 1.03-1.05x against sleeping threads. Spinning used to cost concurrent requests 10-13%
    /// while a pass went wide whenever no other pass was running, and while the shared pool's
    /// threads spun on after a pass.
    public static let spinning: Bool = ProcessInfo.processInfo.environment["LIKENESS_ORT_SPIN"] != "0"

    /// Loads `path`; a missing, truncated or non-ONNX file is a `ModelLoadError` naming it.
    public convenience init(path: String, threads: Int = ONNXRuntimeNet.defaultThreads) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ModelLoadError(path: path, reason: "file not found")
        }
        try self.init(path: path, threads: threads, model: nil)
    }

    /// A model whose file pins its input's height and width, loaded with them freed
    /// (`ONNXShapeEditor`), so it runs at any size.
    public convenience init(freeingSpatialInputOf path: String, threads: Int = ONNXRuntimeNet.defaultThreads) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelLoadError(path: path, reason: "file not found") }
        let model: [UInt8]
        do {
            model = try ONNXShapeEditor.freeingSpatialInput([UInt8](data))
        } catch {
            throw ModelLoadError(path: path, reason: "not an ONNX model (\(error))")
        }
        try self.init(path: path, threads: threads, model: .some(model))
    }

    private init(path: String, threads: Int, model: [UInt8]?) throws {
        let wide = try Self.session(path: path, threads: threads, model: model)
        let narrow: OpaquePointer
        do {
            narrow = threads > 1 ? try Self.session(path: path, threads: 1, model: model) : wide
        } catch {
            lort_session_free(wide)
            throw error
        }
        var buffer = [CChar](repeating: 0, count: 4096)
        do {
            try NativeError.check("onnxruntime") { err, len in
                buffer.withUnsafeMutableBufferPointer { lort_output_names(wide, $0.baseAddress, $0.count, err, len) }
            }
        } catch {
            lort_session_free(wide)
            if narrow != wide { lort_session_free(narrow) }
            throw ModelLoadError(path: path, reason: "\(error)")
        }
        self.path = path
        self.outputNames = Tensor.names(buffer)
        self.wide = wide
        self.narrow = narrow
    }

    private static func session(path: String, threads: Int, model: [UInt8]?) throws -> OpaquePointer {
        // The runtime is set up (its shared pool sized) before the first session.
        _ = isAvailable
        var out: OpaquePointer?
        do {
            try NativeError.check("onnxruntime") { (err: UnsafeMutablePointer<CChar>, len: Int) -> Int32 in
                // Only a session of several threads (the wide one, for a lone pass) spins.
                let spin: Int32 = threads > 1 && Self.spinning ? 1 : 0
                guard let model else { return lort_session_create(path, Int32(threads), spin, &out, err, len) }
                return model.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int32 in
                    lort_session_create_from_bytes(bytes.baseAddress, bytes.count, Int32(threads), spin, &out, err, len)
                }
            }
        } catch {
            throw ModelLoadError(path: path, reason: "not a loadable ONNX model (\(OpenCVNet.firstLine(error.message)))")
        }
        guard let session = out else { throw ModelLoadError(path: path, reason: "not a loadable ONNX model") }
        return session
    }

    deinit {
        lort_session_free(wide)
        if narrow != wide { lort_session_free(narrow) }
    }

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
        // Wide only for a pass that runs alone and whose request is the only one in hand: under
        // load, a pass that starts in a lull must not take the core the next request needs.
        let alone = Self.running.add(1, ordering: .relaxed).newValue == 1 && InferenceDemand.shared.current <= 1
        defer { Self.running.subtract(1, ordering: .relaxed) }
        let session = alone ? wide : narrow
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
