import Foundation

/// A problem in a NumPy file, named so that an operator can fix the export.
public struct NumpyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}

/// One array of a NumPy `.npy` file (format versions 1-3), as the original system's `.npz`
/// metadata holds them: integers, reals or text. Object arrays are pickles, which this reader
/// refuses rather than runs.
public struct NumpyArray: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case integers([Int64])
        case reals([Double])
        case strings([String])
    }

    public var shape: [Int]
    public var values: Values

    public var count: Int {
        switch values {
        case let .integers(v): v.count
        case let .reals(v): v.count
        case let .strings(v): v.count
        }
    }

    /// Every element as text: class ids may have been saved as numbers or as strings.
    public var texts: [String] {
        switch values {
        case let .integers(v): v.map { String($0) }
        case let .reals(v): v.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) }
        case let .strings(v): v
        }
    }

    /// Every element as an integer, where the array holds integers.
    public var integers: [Int64]? {
        if case let .integers(v) = values { return v }
        return nil
    }

    public static let magicBytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    public static func parse(_ bytes: [UInt8]) throws(NumpyError) -> NumpyArray {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magicBytes else { throw NumpyError("not a .npy array (no \\x93NUMPY magic)") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NumpyError("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw NumpyError(".npy format version \(major) is not supported (1-3 are)")
        }
        guard headerLength <= 1 << 20, headerStart + headerLength <= bytes.count else { throw NumpyError("truncated .npy header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let (descr, fortran, shape) = try Self.header(header)
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw NumpyError("array shape \(shape) is too large") }
            count = p
        }
        guard !fortran || shape.count <= 1 else { throw NumpyError("Fortran-ordered arrays are not supported: save with np.ascontiguousarray") }
        let type = try ElementType(descr)
        let (size, overflow) = count.multipliedReportingOverflow(by: type.width)
        let body = bytes[(headerStart + headerLength)...]
        guard !overflow, body.count >= size else {
            throw NumpyError("truncated .npy data: \(shape) of \(descr) needs \(size) bytes, the file has \(body.count)")
        }
        return NumpyArray(shape: shape, values: type.decode(Array(body.prefix(size)), count: count))
    }

    /// The header's dictionary: `{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }`.
    static func header(_ text: String) throws(NumpyError) -> (descr: String, fortran: Bool, shape: [Int]) {
        func value(after key: String) -> Substring? {
            guard let r = text.range(of: "'\(key)':") ?? text.range(of: "\"\(key)\":") else { return nil }
            return text[r.upperBound...].drop { $0 == " " }
        }
        guard let d = value(after: "descr"), let quote = d.first, quote == "'" || quote == "\"",
              let end = d.dropFirst().firstIndex(of: quote) else {
            throw NumpyError("the .npy header names no plain dtype (a structured array?): \(text.prefix(120))")
        }
        let descr = String(d[d.index(after: d.startIndex)..<end])
        let fortran = value(after: "fortran_order")?.hasPrefix("True") ?? false
        guard let s = value(after: "shape"), s.first == "(", let close = s.firstIndex(of: ")") else {
            throw NumpyError("the .npy header has no shape: \(text.prefix(120))")
        }
        var shape: [Int] = []
        for part in s[s.index(after: s.startIndex)..<close].split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let n = Int(trimmed.hasSuffix("L") ? String(trimmed.dropLast()) : trimmed), n >= 0 else {
                throw NumpyError("the .npy shape is not a tuple of sizes: \(s[...close])")
            }
            shape.append(n)
        }
        return (descr, fortran, shape)
    }
}

/// The element types an export of ids, class ids and names uses.
private enum ElementType {
    case signed(Int), unsigned(Int), real(Int), bool, unicode(Int), bytes(Int)

    init(_ descr: String) throws(NumpyError) {
        guard let order = descr.first, "<|=".contains(order) else {
            throw NumpyError("dtype \(descr): big-endian arrays are not supported: save with .astype('<...')")
        }
        let kind = descr.dropFirst().first
        if kind == "O" { throw NumpyError("dtype \(descr) is an object array (a pickle): save class ids with dtype=str or int") }
        guard let width = Int(descr.dropFirst(2)), width > 0 else { throw NumpyError("dtype \(descr) is not supported") }
        switch (kind, width) {
        case ("i", 1), ("i", 2), ("i", 4), ("i", 8): self = .signed(width)
        case ("u", 1), ("u", 2), ("u", 4), ("u", 8): self = .unsigned(width)
        case ("f", 4), ("f", 8): self = .real(width)
        case ("b", 1): self = .bool
        case ("U", _): self = .unicode(width)
        case ("S", _): self = .bytes(width)
        default: throw NumpyError("dtype \(descr) is not supported")
        }
    }

    var width: Int {
        switch self {
        case let .signed(w), let .unsigned(w), let .real(w), let .bytes(w): w
        case .bool: 1
        case let .unicode(n): n * 4
        }
    }

    func decode(_ b: [UInt8], count: Int) -> NumpyArray.Values {
        func word(_ at: Int, _ w: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<w { v |= UInt64(b[at + k]) << (8 * k) }
            return v
        }
        switch self {
        case let .signed(w):
            return .integers((0..<count).map { i in
                let v = word(i * w, w), shift = UInt64(64 - 8 * w)
                return Int64(bitPattern: v << shift) >> Int64(shift)
            })
        case let .unsigned(w):
            return .integers((0..<count).map { Int64(truncatingIfNeeded: word($0 * w, w)) })
        case .bool:
            return .integers((0..<count).map { Int64(b[$0] != 0 ? 1 : 0) })
        case let .real(w):
            return .reals((0..<count).map { i in
                w == 4 ? Double(Float(bitPattern: UInt32(word(i * 4, 4)))) : Double(bitPattern: word(i * 8, 8))
            })
        case let .unicode(n):
            return .strings((0..<count).map { i in
                var scalars = String.UnicodeScalarView()
                for k in 0..<n {
                    let code = UInt32(word((i * n + k) * 4, 4))
                    if code == 0 { break }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                }
                return String(scalars)
            })
        case let .bytes(n):
            return .strings((0..<count).map { i in
                String(decoding: b[(i * n)..<((i + 1) * n)].prefix { $0 != 0 }, as: UTF8.self)
            })
        }
    }
}
