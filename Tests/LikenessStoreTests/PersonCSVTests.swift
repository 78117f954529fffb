import LikenessCore
import LikenessStore
import Testing

@Suite struct PersonCSVTests {
    func parse(_ text: String) throws -> [PersonImport] { try PersonCSV.parse(Array(text.utf8)) }

    @Test func parsesTheOriginalFormatWithQuotingAndVietnamese() throws {
        let rows = try parse("""
            \u{FEFF}class_id,name,info\r
            SV001,Nguyễn Văn An,"Lớp 10A1, khoá 2024"\r
            SV002,"Trần ""Bé"" Ba","line one
            line two"
            SV003,Phạm Thị Cúc,

            """)
        #expect(rows == [
            PersonImport(classID: "SV001", name: "Nguyễn Văn An", info: "Lớp 10A1, khoá 2024"),
            PersonImport(classID: "SV002", name: "Trần \"Bé\" Ba", info: "line one\nline two"),
            PersonImport(classID: "SV003", name: "Phạm Thị Cúc", info: ""),
        ])
    }

    @Test(arguments: [
        ("class_id,name,info\nA,Alice,x\nB,,y\n", 3, "name is empty"),
        ("class_id,name,info\nA,Alice,x\nB,Bob\n", 3, "expected 3 fields, found 2"),
        ("class_id,name,info\nA,Alice,x\nA,Again,y\n", 3, "class_id A already appears on line 2"),
        ("class_id,name,info\nA,\"Alice,x\n", 2, "a quoted field is not closed"),
        ("id,fullname\nA,Alice\n", 1, "the header must name the columns class_id, name and info"),
        ("", 1, "empty file: expected a class_id,name,info header"),
        ("class_id,name,info\nA,Al\"ice,x\n", 2, "a quote inside an unquoted field"),
    ])
    func badRowsNameTheirLine(text: String, line: Int, message: String) {
        #expect(throws: PersonCSVError(line: line, message: message)) { try parse(text) }
    }

    @Test func invalidUTF8NamesTheLine() {
        let bytes = Array("class_id,name,info\nA,ok,x\n".utf8) + [0x42, 0x2C, 0xC3, 0x28, 0x2C, 0x78, 0x0A]
        #expect(throws: PersonCSVError(line: 3, message: "not valid UTF-8")) { try PersonCSV.parse(bytes) }
    }
}
