import Synchronization

/// Read-your-writes, where searches may be answered by something that lags the database (a
/// streaming replica, another server's in-process index): each request carries the change-log
/// position its caller has written up to, and a search answers from a copy only once that copy
/// has reached it. Task-local, so the use cases need no extra parameter for it.
public enum ReadConsistency {
    /// The change-log position this request's reads must reflect, if any.
    @TaskLocal public static var floor: Int64?
    /// Where this request's writes note the position they reached.
    @TaskLocal public static var writes: WriteRecord?
}

/// The highest change-log position one request's writes reached.
public final class WriteRecord: Sendable {
    private let value = Mutex<Int64?>(nil)

    public init() {}

    public func record(_ position: Int64) { value.withLock { $0 = max($0 ?? position, position) } }

    public var position: Int64? { value.withLock { $0 } }
}
