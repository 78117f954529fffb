/// Slows password guessing without letting anyone lock others out.
///
/// Two counts are kept: per (username, client address) and per client address over all
/// usernames. After a few failures, each further attempt must wait, doubling up to 5 minutes;
/// counts fade after 15 quiet minutes. An attempt is counted *before* its bcrypt runs and
/// forgiven on success, so parallel guesses cannot all slip through while the first ones are
/// still hashing. Keying by address means a guesser locks out only itself: the owner of
/// `admin`, logging in from elsewhere, is not delayed. Memory is bounded: keys are capped in
/// size by the credential policy, and the tables in entries.
public actor LoginThrottle {
    private struct Entry {
        var failures: Int
        var until: ContinuousClock.Instant
        var last: ContinuousClock.Instant
    }

    private var pairs: [String: Entry] = [:]
    private var addresses: [String: Entry] = [:]
    public let freePerPair: Int
    public let freePerAddress: Int
    public let capacity: Int
    private let fade = Duration.seconds(15 * 60)

    public init(freePerPair: Int, freePerAddress: Int, capacity: Int = 50_000) {
        self.freePerPair = max(1, freePerPair)
        self.freePerAddress = max(1, freePerAddress)
        self.capacity = max(16, capacity)
    }

    /// Reserves an attempt: nil when it may go ahead (it counts as a failure until
    /// `succeeded` or `withdraw`), else the seconds to wait.
    public func begin(username: String, address: String) -> Int? {
        let now = ContinuousClock.now
        let pairKey = Self.pairKey(username, address)
        if let wait = Self.wait(pairs[pairKey], now) ?? Self.wait(addresses[address], now) { return wait }
        Self.record(&pairs, pairKey, free: freePerPair, now: now, fade: fade)
        Self.record(&addresses, address, free: freePerAddress, now: now, fade: fade)
        prune(now)
        return nil
    }

    /// The attempt was right: the pair's count is cleared, the address's reservation undone.
    public func succeeded(username: String, address: String) {
        pairs[Self.pairKey(username, address)] = nil
        Self.undo(&addresses, address, free: freePerAddress)
    }

    /// The attempt never reached a verdict (the server was busy): undo its reservation.
    public func withdraw(username: String, address: String) {
        Self.undo(&pairs, Self.pairKey(username, address), free: freePerPair)
        Self.undo(&addresses, address, free: freePerAddress)
    }

    public var entryCount: Int { pairs.count + addresses.count }

    /// One failure fewer, and the delay the remaining ones earn.
    private static func undo(_ table: inout [String: Entry], _ key: String, free: Int) {
        guard var entry = table[key] else { return }
        entry.failures -= 1
        guard entry.failures > 0 else {
            table[key] = nil
            return
        }
        entry.until = entry.last + delay(failures: entry.failures, free: free)
        table[key] = entry
    }

    /// Nothing for the free attempts, then doubling from 2 s up to 5 minutes.
    private static func delay(failures: Int, free: Int) -> Duration {
        let over = failures - free
        return over > 0 ? .seconds(min(300, 1 << min(over, 9))) : .zero
    }

    private static func pairKey(_ username: String, _ address: String) -> String { username + "\u{1F}" + address }

    private static func wait(_ entry: Entry?, _ now: ContinuousClock.Instant) -> Int? {
        guard let entry, entry.until > now else { return nil }
        return max(1, Int(now.duration(to: entry.until).components.seconds) + 1)
    }

    private static func record(_ table: inout [String: Entry], _ key: String, free: Int, now: ContinuousClock.Instant, fade: Duration) {
        var entry = table[key] ?? Entry(failures: 0, until: now, last: now)
        if now - entry.last > fade { entry.failures = 0 }
        entry.failures += 1
        entry.last = now
        entry.until = now + delay(failures: entry.failures, free: free)
        table[key] = entry
    }

    /// Over capacity: forget faded entries, then the least recently failed half.
    private func prune(_ now: ContinuousClock.Instant) {
        if pairs.count > capacity { pairs = Self.pruned(pairs, now, capacity, fade) }
        if addresses.count > capacity { addresses = Self.pruned(addresses, now, capacity, fade) }
    }

    private static func pruned(_ table: [String: Entry], _ now: ContinuousClock.Instant, _ capacity: Int, _ fade: Duration) -> [String: Entry] {
        let fresh = table.filter { now - $0.value.last <= fade }
        guard fresh.count > capacity else { return fresh }
        let keep = fresh.sorted { $0.value.last > $1.value.last }.prefix(capacity / 2)
        return Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
