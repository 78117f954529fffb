import ArgumentParser
import LikenessCore
import LikenessVision

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print the model pack in use: recognizer, embedding size and default threshold."
    )

    @OptionGroup var options: PipelineOptions

    func run() throws {
        let pipeline: any FaceAnalyzer
        let pack: String
        do {
            pack = try options.resolvedPack().pack.name
            pipeline = try options.makePipeline()
        } catch {
            print(AnalysisJSON.error(path: "", error).text)
            throw ExitCode(2)
        }
        let r = pipeline.recognizer
        print(JSON.object([
            ("pack", .string(pack)),
            ("model_dir", .string(options.resolvedModelDirectory)),
            ("recognizer", .string(r.id.rawValue)),
            ("dimension", .number(Double(r.dimension))),
            ("default_threshold", .number(Double(r.defaultThreshold))),
            ("liveness", .bool(pipeline.capabilities.liveness)),
            ("attributes", .bool(pipeline.capabilities.attributes)),
        ]).text)
    }
}
