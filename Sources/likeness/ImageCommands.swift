import ArgumentParser
import Foundation
import LikenessCore
import LikenessVision

/// Reads a file's bytes, refusing more than `limit` plus one byte so a huge file is never
/// loaded whole only to be refused.
func readImageFile(_ path: String, limit: Int) throws -> [UInt8] {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw FileReadError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
    }
    defer { try? handle.close() }
    do {
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        return [UInt8](data)
    } catch {
        throw FileReadError(path: path, reason: "\(error)")
    }
}

/// Runs the pipeline on each image in turn, printing one JSON line per image; a failing image
/// is reported and the rest still run. Exits non-zero if any failed.
func runImages(_ paths: [String], options: PipelineOptions, embed: Bool) throws {
    let pipeline: FacePipeline
    do {
        pipeline = try options.makePipeline()
    } catch {
        print(AnalysisJSON.error(path: "", error).text)
        throw ExitCode(2)
    }
    var failures = 0
    for path in paths {
        do {
            let bytes = try readImageFile(path, limit: options.maxBytes)
            let analysis = try pipeline.analyzeNow(bytes, options: options.analysisOptions(embed: embed))
            print(AnalysisJSON.image(path: path, analysis, withEmbedding: embed).text)
        } catch {
            failures += 1
            print(AnalysisJSON.error(path: path, error).text)
        }
    }
    if failures > 0 { throw ExitCode(1) }
}

/// Image paths from the arguments, and from a list file (one path a line) if given.
func imagePaths(_ arguments: [String], list: String?) throws -> [String] {
    var paths = arguments
    if let list {
        let text = list == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                               : try String(contentsOfFile: list, encoding: .utf8)
        paths += text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    }
    guard !paths.isEmpty else { throw ValidationError("give at least one image, or --list FILE") }
    return paths
}

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect faces: one JSON line per image with boxes, scores, landmarks and timings."
    )

    @OptionGroup var options: PipelineOptions
    @Option(help: "A file with one image path a line ('-' for standard input).") var list: String?
    @Argument(help: "Image files.") var images: [String] = []

    func run() throws {
        try runImages(try imagePaths(images, list: list), options: options, embed: false)
    }
}

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Detect and embed faces: as detect, with an L2-normalised embedding per face."
    )

    @OptionGroup var options: PipelineOptions
    @Option(help: "A file with one image path a line ('-' for standard input).") var list: String?
    @Argument(help: "Image files.") var images: [String] = []

    func run() throws {
        try runImages(try imagePaths(images, list: list), options: options, embed: true)
    }
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare the largest faces of two images: cosine similarity and same-person decision."
    )

    @OptionGroup var options: PipelineOptions
    @Option(help: "Cosine similarity at or above which the faces are the same person (default: the recognizer's).")
    var threshold: Float?
    @Argument(help: "First image.") var first: String
    @Argument(help: "Second image.") var second: String

    func run() throws {
        let pipeline: FacePipeline
        do {
            pipeline = try options.makePipeline()
        } catch {
            print(AnalysisJSON.error(path: "", error).text)
            throw ExitCode(2)
        }
        var embeddings: [Embedding] = []
        for path in [first, second] {
            do {
                let analysis = try pipeline.analyzeNow(try readImageFile(path, limit: options.maxBytes),
                                                       options: options.analysisOptions(embed: true))
                guard let embedding = analysis.faces.first?.embedding else {
                    print(JSON.object([("path", .string(path)), ("error", .object([
                        ("code", .string("no_face")), ("message", .string("no face found in the image")),
                    ]))]).text)
                    throw ExitCode(1)
                }
                embeddings.append(embedding)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                print(AnalysisJSON.error(path: path, error).text)
                throw ExitCode(1)
            }
        }
        let threshold = self.threshold ?? pipeline.recognizer.defaultThreshold
        let similarity = embeddings[0].similarity(to: embeddings[1]) ?? 0
        print(JSON.object([
            ("a", .string(first)), ("b", .string(second)),
            ("recognizer", .string(pipeline.recognizer.id.rawValue)),
            ("similarity", .number((Double(similarity) * 1e6).rounded() / 1e6)),
            ("threshold", .number(Double(threshold))),
            ("same_person", .bool(similarity >= threshold)),
        ]).text)
    }
}
