import ArgumentParser
import DelveLinearAlgebra

/// Every benchmark `delve-bench all` runs, in order. Register a new one here and in `subcommands`.
enum RegisteredBenches {
    static var all: [any Bench.Type] {
        [
            CovarianceBench.self,
            TrainBench.self,
            OverheadBench.self,
            PrecisionBench.self,
        ]
    }
}

/// The `delve-bench` benchmark tool.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delve-bench",
        abstract: "Benchmarks that print ratios measured side by side in one run.",
        subcommands: [
            CovarianceCommand.self,
            TrainCommand.self,
            OverheadCommand.self,
            PrecisionCommand.self,
            AllocationsCommand.self,
            AllCommand.self,
        ]
    )
}

/// `delve-bench all [--json]`: runs every registered benchmark.
struct AllCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run every benchmark (\(RegisteredBenches.all.map { $0.name }.joined(separator: ", "))); --json merges their metrics into one object."
    )
    @OptionGroup var options: BenchOptions

    func run() throws {
        options.apply()
        printReports(try RegisteredBenches.all.map { try $0.run() }, json: options.json)
    }
}

// OpenBLAS may have fallen back to SSE3 kernels on a CPU it does not know: restart with the right ones.
BLASKernels.relaunchWithFasterKernelsIfNeeded()
// OpenBLAS's idle workers would otherwise spin ~0.1 s after every multi-threaded call, on the core the
// tracker's side-by-side syrks and solves need (skipped when OPENBLAS_THREAD_TIMEOUT is set).
BLASIdleSpin.limit()
BenchCommand.main()
