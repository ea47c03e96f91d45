import ArgumentParser
import Delve

/// The `delve` command-line tool.
struct DelveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delve",
        abstract: "Layer saturation and spectral statistics of neural network representations.",
        version: DelveInfo.version,
        subcommands: [TrainCommand.self, DemoCommand.self, AnalyzeCommand.self, SampleCommand.self, ReportCommand.self, RethresholdCommand.self]
    )
}
DelveCommand.main()
