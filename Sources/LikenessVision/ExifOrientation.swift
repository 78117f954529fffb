/// Reads the Orientation tag (0x0112) from a TIFF-structured EXIF block.
enum ExifOrientation {
    static func read(_ b: ByteReader, tiffStart: Int, end: Int) -> Int? {
        let littleEndian: Bool
        switch b.ascii(tiffStart, 2) {
        case "II": littleEndian = true
        case "MM": littleEndian = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at + 2 <= end else { return nil }
            return (littleEndian ? b.u16le(at) : b.u16be(at)).map(Int.init)
        }
        func u32(_ at: Int) -> Int? {
            guard at + 4 <= end else { return nil }
            return (littleEndian ? b.u32le(at) : b.u32be(at)).map(Int.init)
        }
        guard u16(tiffStart + 2) == 42, let ifd = u32(tiffStart + 4), let entries = u16(tiffStart + ifd) else { return nil }
        for n in 0..<min(entries, 512) {
            let entry = tiffStart + ifd + 2 + n * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard let value = u16(entry + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }
}
