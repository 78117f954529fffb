import LikenessCore

/// The original system's people table in its MySQL database: one row per class, with the
/// columns `class_id`, `name` and `info` (`nguoi` in the original). Read only.
public enum OriginalPeopleTable {
    /// Reads every row. `table` is a plain identifier (letters, digits, underscores), since it
    /// has to be spliced into the SQL text.
    public static func read(url: String, table: String = "nguoi") throws -> [PersonImport] {
        guard !table.isEmpty, table.utf8.count <= 64,
              table.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" }) else {
            throw StoreError.invalid("table name '\(table)' must be letters, digits and underscores")
        }
        guard case let .mysql(server) = try DatabaseURL(url) else {
            throw StoreError.invalid("the original's database is a mysql:// URL")
        }
        let database = server.database
        let connection = try MariaDBConnection(.init(server: server))
        let columns = Set(try connection.query("""
            SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
            """, [.text(database), .text(table)]).compactMap { $0[0].text?.lowercased() })
        guard !columns.isEmpty else { throw StoreError.notFound("no table \(table) in \(database)") }
        guard columns.contains("class_id") else {
            throw StoreError.invalid("table \(table) has no class_id column (it has \(columns.sorted().joined(separator: ", ")))")
        }
        let name = columns.contains("name") ? "name" : "NULL"
        let info = columns.contains("info") ? "info" : "NULL"
        return try connection.query("SELECT class_id, \(name), \(info) FROM `\(table)` ORDER BY class_id", []).compactMap { row in
            guard let classID = row[0].text, !classID.isEmpty else { return nil }
            return PersonImport(classID: classID, name: row[1].text ?? classID, info: row[2].text ?? "")
        }
    }
}
