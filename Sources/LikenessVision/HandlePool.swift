import Foundation
import Synchronization

/// Copies of one native object that keeps state between calls (a network's activations), each
/// used by one thread at a time. A caller takes a free copy if there is one, else waits for one
/// picked in turn, so as many calls run at once as there are copies.
final class HandlePool: Sendable {
    private final class Slot: Sendable {
        let handle: Mutex<NativeHandle>
        init(_ handle: NativeHandle) { self.handle = Mutex(handle) }
    }

    private let slots: [Slot]
    private let turn = Atomic<Int>(0)

    /// `make` is called `copies` times (at least once).
    init(copies: Int, make: () throws -> NativeHandle) rethrows {
        slots = try (0..<max(1, copies)).map { _ in Slot(try make()) }
    }

    var count: Int { slots.count }

    func with<T>(_ body: (NativeHandle) throws -> T) throws -> T {
        for slot in slots {
            if let result = try slot.handle.withLockIfAvailable({ try body($0) }) { return result }
        }
        let i = turn.wrappingAdd(1, ordering: .relaxed).oldValue % slots.count
        return try slots[i].handle.withLock { try body($0) }
    }

    /// Copies per model: one per core up to four, since the server analyses that many images at
    /// once and a copy costs only the network's weights and buffers.
    static var defaultCopies: Int { min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)) }
}
