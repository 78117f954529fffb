/// Bounds-checked reads from untrusted bytes: every accessor answers nil past the end.
struct ByteReader {
    let data: [UInt8]
    init(_ data: [UInt8]) { self.data = data }

    var count: Int { data.count }

    func starts(with prefix: [UInt8]) -> Bool { data.count >= prefix.count && data[0..<prefix.count].elementsEqual(prefix) }

    func u8(_ i: Int) -> UInt8? { i >= 0 && i < data.count ? data[i] : nil }

    func u16be(_ i: Int) -> UInt16? {
        guard let a = u8(i), let b = u8(i + 1) else { return nil }
        return UInt16(a) << 8 | UInt16(b)
    }

    func u16le(_ i: Int) -> UInt16? {
        guard let a = u8(i), let b = u8(i + 1) else { return nil }
        return UInt16(b) << 8 | UInt16(a)
    }

    func u24le(_ i: Int) -> Int? {
        guard let a = u8(i), let b = u8(i + 1), let c = u8(i + 2) else { return nil }
        return Int(a) | Int(b) << 8 | Int(c) << 16
    }

    func u32be(_ i: Int) -> UInt32? {
        guard let hi = u16be(i), let lo = u16be(i + 2) else { return nil }
        return UInt32(hi) << 16 | UInt32(lo)
    }

    func u32le(_ i: Int) -> UInt32? {
        guard let lo = u16le(i), let hi = u16le(i + 2) else { return nil }
        return UInt32(hi) << 16 | UInt32(lo)
    }

    func i32le(_ i: Int) -> Int32? { u32le(i).map { Int32(bitPattern: $0) } }

    func ascii(_ i: Int, _ length: Int) -> String? {
        guard i >= 0, length >= 0, i + length <= data.count else { return nil }
        return String(decoding: data[i..<(i + length)], as: UTF8.self)
    }

    /// The last position at or after `from` where `pattern` starts.
    func lastIndex(of pattern: [UInt8], from: Int) -> Int? {
        var i = data.count - pattern.count
        while i >= max(from, 0) {
            if data[i] == pattern[0] && data[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
            i -= 1
        }
        return nil
    }
}
