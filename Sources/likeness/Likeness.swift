import ArgumentParser

@main
struct Likeness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likeness",
        abstract: "Likeness, a self-hosted face recognition server.",
        subcommands: [DetectCommand.self, EmbedCommand.self, CompareCommand.self, InfoCommand.self, ImportPersonsCommand.self,
                      ModelsCommand.self, ServeCommand.self]
    )
}
