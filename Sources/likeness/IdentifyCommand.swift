import ArgumentParser
import Foundation
import LikenessCore

/// `likeness identify IMAGE...`: who is in each photo, a line per face.
struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Say who is in each photo, against the database or a running server (--url)."
    )

    @Argument(help: "Photos.") var images: [String]
    @OptionGroup var target: TargetOptions

    func run() async throws {
        let gallery = try target.target(workers: 1)
        var failures = 0
        for path in images {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read the file")
                failures += 1
                continue
            }
            do {
                let answer = try await gallery.identify([UInt8](data), filename: (path as NSString).lastPathComponent)
                guard !answer.faces.isEmpty else {
                    print("\(path): no face")
                    continue
                }
                let faces = answer.faces.map { face -> String in
                    let box = face.box.map { String(Int($0.rounded())) }.joined(separator: ",")
                    guard let classID = face.classID else { return "unknown [\(box)]" }
                    let who = face.name.map { $0 == classID ? classID : "\($0) (\(classID))" } ?? classID
                    return "\(who) \(String(format: "%.3f", face.similarity ?? 0)) [\(box)]"
                }
                print("\(path): \(faces.joined(separator: "; "))")
            } catch {
                print("\(path): \(error)")
                failures += 1
            }
        }
        if failures == images.count { throw ExitCode(1) }
    }
}
