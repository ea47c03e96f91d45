import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs
import DelveLinearAlgebra
import Foundation

/// The `delve` command-line tool.
struct DelveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delve",
        abstract: "Layer saturation and spectral statistics of neural network representations.",
        version: DelveInfo.version,
        subcommands: [TrainCommand.self, DemoCommand.self, AnalyzeCommand.self, MergeCommand.self, SampleCommand.self, ReportCommand.self, RethresholdCommand.self,
                      ReceptiveFieldCommand.self]
    )
}
// Debian's OpenBLAS falls back to slow SSE3 kernels on CPUs newer than itself; restart with the
// AVX2/AVX-512 ones the CPU has (skipped when OPENBLAS_CORETYPE is already set).
BLASKernels.relaunchWithFasterKernelsIfNeeded()
// OpenBLAS's idle workers would otherwise spin ~0.1 s after every multi-threaded call, on the core the
// tracker's side-by-side syrks and solves need (skipped when OPENBLAS_THREAD_TIMEOUT is set).
BLASIdleSpin.limit()
// A file-size limit (`ulimit -f`) makes a write fail with EFBIG, reported with the file's name, instead
// of killing the process with SIGXFSZ.
signal(SIGXFSZ, SIG_IGN)
CommandLineMain.run()
