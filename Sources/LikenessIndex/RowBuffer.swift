/// Fixed-width rows stored contiguously, growing by doubling. Not thread-safe: its owner's
/// lock guards it.
final class RowBuffer<Element> {
    let width: Int
    private(set) var count = 0
    private(set) var capacity: Int
    private(set) var base: UnsafeMutablePointer<Element>

    init(width: Int, capacity: Int = 1024) {
        self.width = width
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity * width)
    }

    deinit { base.deallocate() }

    func row(_ i: Int) -> UnsafeMutablePointer<Element> { base + i * width }

    func reserve(_ rows: Int) {
        guard rows > capacity else { return }
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: rows * width)
        grown.moveInitialize(from: base, count: count * width)
        base.deallocate()
        base = grown
        capacity = rows
    }

    /// Appends one row written by `fill`, which receives a pointer to `width` elements.
    func append(_ fill: (UnsafeMutablePointer<Element>) -> Void) {
        if count == capacity { reserve(capacity * 2) }
        fill(row(count))
        count += 1
    }

    /// Moves the last row into slot `i` (swap-remove) and drops the last row.
    func removeBySwap(_ i: Int) {
        let last = count - 1
        if i != last { row(i).update(from: row(last), count: width) }
        count -= 1
    }

    /// Sets the row count after rows were written directly (snapshot loading).
    func setCount(_ n: Int) {
        precondition(n <= capacity)
        count = n
    }

    func removeAll() { count = 0 }
}
