import ArgumentParser
import LikenessServer

@main
struct Likeness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likeness",
        abstract: "Likeness, a self-hosted face recognition server.",
        version: LikenessVersion.current,
        subcommands: [DetectCommand.self, EmbedCommand.self, CompareCommand.self, InfoCommand.self, ImportPersonsCommand.self,
                      ModelsCommand.self, ServeCommand.self, EnrollCommand.self, IdentifyCommand.self, MigrateCommand.self,
                      ImportOriginalCommand.self]
    )
}
