import LikenessCore
import Dispatch
import Foundation

/// A bounded set of connections. Blocking database calls run on the pool's own
/// `BlockingExecutor`, one thread per connection, never on Swift's cooperative pool or an
/// event loop; a caller cancelled while waiting leaves the line. A connection that failed with `unavailable`
/// is dropped and replaced on next use, so a restarted database server is picked up again.
final class ConnectionPool: @unchecked Sendable {
    private let make: () throws -> any SQLConnection
    private let capacity: Int
    private let condition = NSCondition()
    private var idle: [any SQLConnection] = []  // guarded by `condition`
    private var open = 0                         // guarded by `condition`
    private let executor: BlockingExecutor

    init(capacity: Int, make: @escaping () throws -> any SQLConnection) {
        self.capacity = max(1, capacity)
        self.make = make
        // As many threads as connections: a thread never parks waiting for one.
        executor = BlockingExecutor(name: "likeness-store", threads: self.capacity)
    }

    /// Runs `body` with a connection on the calling thread, waiting for one if all are busy.
    func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        let connection = try acquire()
        do {
            let result = try body(connection)
            release(connection, healthy: true)
            return result
        } catch let error as StoreError {
            if case .unavailable = error { release(connection, healthy: false) } else { release(connection, healthy: true) }
            throw error
        } catch {
            release(connection, healthy: true)
            throw error
        }
    }

    /// As `withConnection`, on a pool thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await executor.run { try self.withConnection(body) }
    }

    private func acquire() throws -> any SQLConnection {
        condition.lock()
        while idle.isEmpty && open >= capacity { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        open += 1
        condition.unlock()
        do {
            return try make()
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func release(_ connection: any SQLConnection, healthy: Bool) {
        condition.lock()
        if healthy { idle.append(connection) } else { open -= 1 }
        condition.signal()
        condition.unlock()
    }
}
