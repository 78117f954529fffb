/// A failure reported by a native shim: its status code and message.
public struct NativeError: Error, Sendable, CustomStringConvertible {
    public var library: String
    public var status: Int32
    public var message: String

    public var description: String { "\(library) error \(status): \(message)" }

    /// Calls a shim function that takes a trailing (err, errlen) pair and returns a status.
    static func check(_ library: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws(NativeError) {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard status != 0 else { return }
        let message = buffer.withUnsafeBufferPointer { ptr in
            String(decoding: ptr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        throw NativeError(library: library, status: status, message: message.isEmpty ? "unknown error" : message)
    }
}
