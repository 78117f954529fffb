import CDlib
import Foundation
import LikenessCore
import Synchronization

/// dlib's ResNet face recognizer: each face is cut out as a 150 px chip aligned on its
/// 5 landmarks (padding 0.25, as dlib's compute_face_descriptor does) and embedded to 128-d.
public final class DlibFaceEmbedder: FaceEmbedder {
    public let recognizer = DlibPack.recognizer
    // The network keeps its activations between calls: one copy per core, so concurrent
    // images do not queue on one network (a large image must not stall the others).
    private let nets: HandlePool

    public init(modelPath: String, copies: Int? = nil) throws {
        guard FileManager.default.isReadableFile(atPath: modelPath) else {
            throw ModelLoadError(path: modelPath, reason: "file not found")
        }
        NativeRuntime.configure()
        nets = try HandlePool(copies: copies ?? HandlePool.defaultCopies) {
            var out: OpaquePointer?
            do {
                try NativeError.check("dlib") { ldl_recognizer_load(modelPath, &out, $0, $1) }
            } catch {
                throw ModelLoadError(path: modelPath, reason: (error as? NativeError)?.message ?? "\(error)")
            }
            return NativeHandle(out!, free: ldl_recognizer_free)
        }
    }

    public func embed(faces: [DetectedFace], in image: Image, timings: inout StageTimings) throws -> [Embedding] {
        guard !faces.isEmpty else { return [] }
        var watch = Stopwatch()
        let chips = try self.chips(faces: faces, in: image)
        timings.add("align", watch.lap())
        let dimension = recognizer.dimension
        var raw = [Float](repeating: 0, count: faces.count * dimension)
        try nets.with { net in
            try NativeError.check("dlib") { err, len in
                chips.withUnsafeBufferPointer { chipPtr in
                    raw.withUnsafeMutableBufferPointer {
                        ldl_embed_chips(net.pointer, chipPtr.baseAddress, faces.count, $0.baseAddress, err, len)
                    }
                }
            }
        }
        timings.add("embed", watch.lap())
        return (0..<faces.count).map {
            Embedding(recognizer: recognizer.id, raw: Array(raw[($0 * dimension)..<(($0 + 1) * dimension)]))
        }
    }

    /// The aligned chips of all faces, packed RGB, one after another.
    public func chips(faces: [DetectedFace], in image: Image) throws -> [UInt8] {
        let side = DlibPack.chipSize
        let chipBytes = side * side * 3
        let dlibImage = try DlibImage(image)
        var chips = [UInt8](repeating: 0, count: faces.count * chipBytes)
        for (i, face) in faces.enumerated() {
            guard let landmarks = face.landmarks, landmarks.scheme == .dlib5, landmarks.points.count == 5 else {
                throw EmbedderError.landmarksRequired(LandmarkScheme.dlib5)
            }
            let points = landmarks.points.flatMap { [$0.x, $0.y] }
            try NativeError.check("dlib") { err, len in
                chips.withUnsafeMutableBufferPointer { buffer in
                    ldl_face_chip(dlibImage.pointer, face.box.dlibRect, points, 5, Int32(side), DlibPack.chipPadding,
                                  buffer.baseAddress! + i * chipBytes, err, len)
                }
            }
        }
        return chips
    }
}

public enum EmbedderError: Error, Sendable, Equatable {
    /// The recognizer aligns faces on landmarks of this scheme, and the face has none.
    case landmarksRequired(LandmarkScheme)
    /// The landmarks coincide, so no alignment exists.
    case degenerateLandmarks
}
