import Foundation
import PackagePlugin

/// Compiles the web console's files (`Console/` in the target) into the binary, so that
/// `likeness serve` needs nothing installed beside it and no build step reaches a network.
@main
struct EmbedConsole: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        // Target.directoryURL needs tools version 6.1; the target sits at the conventional path.
        let folder = context.package.directoryURL.appending(path: "Sources/\(target.name)/Console")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path(percentEncoded: false))
            .filter { !$0.hasPrefix(".") }.sorted()
        let inputs = names.map { folder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "ConsoleAssets.swift")
        return [.buildCommand(displayName: "Embedding the web console (\(names.count) files)",
                              executable: try context.tool(named: "embed-assets").url,
                              arguments: [output.path(percentEncoded: false)] + inputs.map { $0.path(percentEncoded: false) },
                              inputFiles: inputs, outputFiles: [output])]
    }
}
