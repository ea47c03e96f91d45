import ArgumentParser
import Delve

/// The `delve-bench` benchmark tool.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delve-bench",
        abstract: "Benchmarks that print ratios measured side by side in one run."
    )
}
BenchCommand.main()
