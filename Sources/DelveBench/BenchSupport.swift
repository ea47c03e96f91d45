import ArgumentParser
import Foundation
import DelveLinearAlgebra

/// One registered benchmark: `delve-bench <name>` runs it alone, `delve-bench all` runs every one.
protocol Bench {
    /// The subcommand name, e.g. `covariance`.
    static var name: String { get }
    /// Runs the measurements and returns the table and the flat metrics.
    static func run() throws -> BenchReport
}

/// What one benchmark measured: a readable table and a flat list of stable metric keys.
struct BenchReport {
    /// A heading printed above the table.
    var title: String
    /// Column names of the table.
    var columns: [String]
    /// Table rows (already formatted).
    var rows: [[String]] = []
    /// Lines printed under the table (context, goals).
    var footnotes: [String] = []
    /// Flat metrics, in insertion order; keys are stable (documented in README "Benchmarks").
    var metrics: [(key: String, value: Double)] = []

    /// The table as aligned text.
    func renderTable() -> String {
        let all = [columns] + rows
        let widths = columns.indices.map { c in all.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
        var out = [title, line(columns), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        out += footnotes
        return out.joined(separator: "\n")
    }
}

/// Prints reports as tables, or all their metrics as ONE flat JSON object.
func printReports(_ reports: [BenchReport], json: Bool) {
    if json {
        let fields = reports.flatMap(\.metrics).map { key, value in
            "\"\(key)\": " + (value.isFinite ? formatJSONNumber(value) : "null")
        }
        print("{" + fields.joined(separator: ", ") + "}")
    } else {
        print(reports.map { $0.renderTable() }.joined(separator: "\n\n"))
    }
}

/// A JSON number with up to 6 significant digits (integers printed without exponent).
func formatJSONNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(format: "%.6g", value)
}

/// Which clock the benchmarks read.
enum BenchClock: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// CPU time of the whole process (all threads): insensitive to other processes on a shared machine.
    case cpu
    /// Wall-clock time (monotonic).
    case wall
}

/// Process-wide benchmark settings (set once from the command line before any measurement).
enum BenchSettings {
    nonisolated(unsafe) static var clock: BenchClock = .cpu
    /// Smoke-test mode: fewer shapes, one short round (the numbers are not meaningful, the keys are).
    nonisolated(unsafe) static var quick = false
}

/// Seconds of the selected clock.
func now() -> Double {
    switch BenchSettings.clock {
    case .wall:
        return Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    case .cpu:
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// Options every benchmark command shares.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Print one flat JSON object of metrics instead of the table.")
    var json = false
    @Option(help: "BLAS threads (1 keeps the ratios stable on a shared machine).")
    var threads = 1
    @Option(help: "Clock: cpu (process CPU time, robust to other load) or wall.")
    var clock: BenchClock = .cpu
    @Flag(help: "Smoke test: fewer shapes and one short round; checks that everything runs, numbers are rough.")
    var quick = false

    /// Applies the settings before measuring.
    func apply() {
        BLAS.setThreadCount(threads)
        BenchSettings.clock = clock
        BenchSettings.quick = quick
    }
}

/// Measures the time per call of several competitors side by side: the competitors run in turn, in
/// `rounds` interleaved rounds of about `blockSeconds` each, so that load changes on a shared machine hit
/// all of them alike. Returns each one's minimum seconds per call over the blocks or, with `mean`, its
/// total time over its total calls: for competitors with periodic work, such as the accumulator's
/// pending-row `syrk` every few batches, a short block's best can miss that work entirely.
func measureSideBySide(rounds: Int = BenchSettings.quick ? 1 : 7, blockSeconds: Double = BenchSettings.quick ? 0.002 : 0.03,
                       mean: Bool = false, _ competitors: [() -> Void]) -> [Double] {
    // Warm-up and calibration: one call each.
    var callsPerBlock = competitors.map { body -> Int in
        let start = now()
        body()
        let elapsed = max(now() - start, 1e-7)
        return max(1, Int(blockSeconds / elapsed))
    }
    var best = [Double](repeating: .infinity, count: competitors.count)
    var total = [Double](repeating: 0, count: competitors.count), calls = [Int](repeating: 0, count: competitors.count)
    for _ in 0..<rounds {
        for (i, body) in competitors.enumerated() {
            let start = now()
            for _ in 0..<callsPerBlock[i] { body() }
            let elapsed = now() - start
            let perCall = elapsed / Double(callsPerBlock[i])
            best[i] = min(best[i], perCall)
            total[i] += elapsed
            calls[i] += callsPerBlock[i]
            callsPerBlock[i] = max(1, Int(blockSeconds / max(perCall, 1e-7)))
        }
    }
    return mean ? zip(total, calls).map { $0 / Double($1) } : best
}

/// Deterministic pseudo-random floats in [−1, 1) (a 64-bit LCG), plus `offset`.
func benchData(count: Int, seed: UInt64, offset: Float = 0) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23) + offset
    }
}
