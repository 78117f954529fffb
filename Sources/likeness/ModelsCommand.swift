import ArgumentParser
import Foundation
import LikenessVision

/// `likeness models list|verify|install`: the model packs on this machine and the catalog.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, verify and install model packs.",
        subcommands: [List.self, Verify.self, Install.self]
    )

    struct Location: ParsableArguments {
        @Option(help: "Model directory (default: $LIKENESS_MODEL_DIR, $LIKENESS_DATA_DIR/models, ./data/models).")
        var modelDir: String?

        var directory: String { modelDir ?? ModelDirectory.resolve() }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Installed packs (best first) with the features each enables, then the catalog.")
        @OptionGroup var location: Location

        func run() throws {
            let installed = PackRegistry(modelDirectory: location.directory).installed()
            print("Installed in \(location.directory) (the first is the default):")
            if installed.isEmpty { print("  none: run scripts/setup.sh for the dlib pack") }
            for (i, p) in installed.enumerated() {
                let missing = p.missingExtras()
                print("  \(i == 0 ? "*" : " ") \(p.pack.name): \(p.pack.description ?? "")")
                print("      features: \(p.droppingMissingExtras().pack.features.joined(separator: ", "))")
                for m in missing { print("      unavailable: \(m.reason) (\(m.path))") }
                if !p.pack.restrictedLicences.isEmpty { print("      licence: \(p.pack.restrictedLicences.joined(separator: "; "))") }
            }
            print("Catalog (`likeness models install NAME`):")
            for entry in PackCatalog.known {
                let here = installed.contains { $0.pack.name == entry.name } || FileManager.default.fileExists(atPath: "\(location.directory)/\(entry.name)")
                print("  \(entry.name)\(here ? " (installed)" : ""): \(entry.summary)")
                print("      licence: \(entry.licence)")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that each pack's files are present and match their sha256; exits 1 on any problem.")
        @OptionGroup var location: Location
        @Argument(help: "Pack names or pack files (default: every installed pack).") var packs: [String] = []

        func run() throws {
            let registry = PackRegistry(modelDirectory: location.directory)
            let targets = try packs.isEmpty ? registry.installed() : packs.map { try registry.resolve($0) }
            var failed = false
            for p in targets {
                let problems = p.droppingMissingExtras().verify()
                if problems.isEmpty {
                    print("ok      \(p.pack.name) (\(p.pack.files.count) files)")
                } else {
                    failed = true
                    for problem in problems { print("FAILED  \(p.pack.name): \(problem.description)") }
                }
                for m in p.missingExtras() { print("note    \(p.pack.name): \(m.description)") }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a catalog pack from its publisher, checking every file's sha256.")
        @OptionGroup var location: Location
        @Option(help: "Fetch files from this base URL instead of their publishers (an offline mirror).") var mirror: String?
        @Flag(help: "Accept a licence that restricts use without asking.") var yes = false
        @Argument(help: "The catalog name (see `likeness models list`).") var name: String

        func run() throws {
            guard let entry = PackCatalog.entry(named: name) else {
                throw ValidationError(PackInstallError.unknownPack(name).description)
            }
            print("\(entry.name): \(entry.summary)")
            print("licence: \(entry.licence)")
            var accepted = !entry.restricted || yes
            if entry.restricted && !yes {
                print("These weights restrict use. Type 'yes' to accept the licence and download: ", terminator: "")
                accepted = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes"
            }
            guard accepted else {
                print("not installed: the licence was not accepted")
                throw ExitCode(1)
            }
            let installer = PackInstaller(modelDirectory: location.directory, mirror: mirror ?? ProcessInfo.processInfo.environment["LIKENESS_MODEL_MIRROR"]) {
                print("  \($0)")
            }
            do {
                try FileManager.default.createDirectory(atPath: location.directory, withIntermediateDirectories: true)
                let dir = try installer.install(entry, acceptRestrictedLicence: accepted)
                print("installed \(entry.name) in \(dir)")
            } catch let error as PackInstallError {
                print("install failed: \(error.description)")
                throw ExitCode(1)
            }
        }
    }
}
