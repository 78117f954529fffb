import Foundation
import LikenessCore

/// A problem in a people CSV, with the line it is on (1-based, the header is line 1).
public struct PersonCSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// Parses the original system's people CSV (`db/import_class_info_to_mysql.py`): a header row
/// `class_id,name,info`, then one person a row. RFC 4180 quoting (fields may hold commas,
/// quotes and line breaks); UTF-8 with or without a byte-order mark. The whole file is checked
/// before anything is written, so a bad row means nothing is imported.
public enum PersonCSV {
    public static func parse(_ data: [UInt8]) throws(PersonCSVError) -> [PersonImport] {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PersonCSVError(line: firstInvalidLine(Array(bytes)), message: "not valid UTF-8")
        }
        let records = try split(text)
        guard let (_, header) = records.first else { throw PersonCSVError(line: 1, message: "empty file: expected a class_id,name,info header") }
        let columns = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let classColumn = columns.firstIndex(of: "class_id"), let nameColumn = columns.firstIndex(of: "name") else {
            throw PersonCSVError(line: 1, message: "the header must name the columns class_id, name and info")
        }
        let infoColumn = columns.firstIndex(of: "info")
        var seen: [String: Int] = [:]
        var people: [PersonImport] = []
        for (line, fields) in records.dropFirst() {
            if fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard fields.count == columns.count else {
                throw PersonCSVError(line: line, message: "expected \(columns.count) fields, found \(fields.count)")
            }
            let classID = fields[classColumn].trimmingCharacters(in: .whitespaces)
            let name = fields[nameColumn].trimmingCharacters(in: .whitespaces)
            guard !classID.isEmpty else { throw PersonCSVError(line: line, message: "class_id is empty") }
            guard classID.utf8.count <= 191 else { throw PersonCSVError(line: line, message: "class_id is longer than 191 bytes") }
            guard !name.isEmpty else { throw PersonCSVError(line: line, message: "name is empty") }
            guard name.utf8.count <= 255 else { throw PersonCSVError(line: line, message: "name is longer than 255 bytes") }
            if let first = seen[classID] {
                throw PersonCSVError(line: line, message: "class_id \(classID) already appears on line \(first)")
            }
            seen[classID] = line
            people.append(PersonImport(classID: classID, name: name, info: infoColumn.map { fields[$0] } ?? ""))
        }
        return people
    }

    /// Splits into records of fields, each with the line it starts on.
    private static func split(_ text: String) throws(PersonCSVError) -> [(Int, [String])] {
        var records: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false, wasQuoted = false
        var line = 1, recordLine = 1
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty && !wasQuoted else { throw PersonCSVError(line: line, message: "a quote inside an unquoted field") }
                quoted = true
                wasQuoted = true
            case ",":
                fields.append(field)
                field = ""
                wasQuoted = false
            case "\r" where chars.first == "\n":
                continue
            case "\n", "\r":
                fields.append(field)
                records.append((recordLine, fields))
                fields = []
                field = ""
                wasQuoted = false
                line += 1
                recordLine = line
            default:
                guard !wasQuoted else { throw PersonCSVError(line: line, message: "text after a closing quote") }
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw PersonCSVError(line: recordLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted {
            fields.append(field)
            records.append((recordLine, fields))
        }
        return records
    }

    private static func firstInvalidLine(_ bytes: [UInt8]) -> Int {
        var line = 1, start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if String(validating: bytes[start..<i], as: UTF8.self) == nil { return line }
            line += 1
            start = i + 1
        }
        return line
    }
}
