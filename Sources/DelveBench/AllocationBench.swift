import ArgumentParser
import Delve
import Foundation
import DelveLinearAlgebra

/// `delve-bench allocations`: heap allocations per recorded batch of ``SaturationTracker`` in steady
/// state, for every layout (issue: "no per-batch allocation in steady state").
///
/// Counting needs the preloaded counter of `scripts/alloc-count.c` (see `scripts/alloc-check.sh`): it
/// exports `delve_allocation_count()`, the number of `malloc`-family calls made so far by the calling
/// thread. Without it the counts are reported as unavailable (JSON `null`).
struct AllocationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocations",
        abstract: "Heap allocations per recorded batch in steady state, per layout (needs scripts/alloc-count.c preloaded)."
    )
    @Flag(help: "Print one flat JSON object of metrics instead of the table.")
    var json = false
    @Option(help: "Batches recorded (and counted) after the warm-up batches.")
    var batches = 20
    @Option(help: "BLAS threads. With more than one, OpenBLAS's threaded level-3 driver allocates its job table on every call (inside OpenBLAS).")
    var threads = 1

    func run() throws {
        guard batches > 0 else { throw ValidationError("--batches must be positive, got \(batches)") }
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
        BLAS.setThreadCount(threads)
        printReports([try AllocationBench.measure(batches: batches)], json: json)
    }
}

/// The layouts measured and their allocation counts.
enum AllocationBench {
    /// One tracked layout: a name, the tracker options and a batch.
    struct Case {
        var key: String
        var layout: LayoutOptions
        var shape: [Int]
        var kind: ActivationKind
        var precision: AccumulationPrecision = .float64
        /// Layers of this shape recorded per batch (two dense layers are flushed side by side).
        var layers = 1
        /// BLAS threads at least (two for side-by-side flushes and split channelwise batches).
        var threads = 1
    }

    static let cases: [Case] = [
        Case(key: "dense", layout: LayoutOptions(), shape: [128, 512], kind: .dense),
        Case(key: "dense_f32", layout: LayoutOptions(), shape: [128, 512], kind: .dense, precision: .float32),
        Case(key: "dense_two_layers", layout: LayoutOptions(), shape: [128, 64], kind: .dense, layers: 2, threads: 2),
        Case(key: "channelwise", layout: LayoutOptions(), shape: [32, 16, 8, 8], kind: .convolution),
        Case(key: "channelwise_f32", layout: LayoutOptions(), shape: [32, 16, 8, 8], kind: .convolution, precision: .float32),
        Case(key: "channelwise_split", layout: LayoutOptions(), shape: [128, 32, 16, 16], kind: .convolution, threads: 2),
        Case(key: "conv_mean", layout: LayoutOptions(convMethod: .mean), shape: [32, 16, 8, 8], kind: .convolution),
        Case(key: "conv_max", layout: LayoutOptions(convMethod: .max), shape: [32, 16, 8, 8], kind: .convolution),
        Case(key: "conv_median", layout: LayoutOptions(convMethod: .median), shape: [32, 16, 8, 8], kind: .convolution),
        Case(key: "conv_flatten", layout: LayoutOptions(convMethod: .flatten), shape: [32, 4, 6, 6], kind: .convolution),
        Case(key: "conv_downsample", layout: LayoutOptions(downsample: 4), shape: [32, 16, 8, 8], kind: .convolution),
        Case(key: "sequence_last", layout: LayoutOptions(), shape: [32, 10, 24], kind: .sequence(batchFirst: true)),
        Case(key: "sequence_last_time_first", layout: LayoutOptions(), shape: [10, 32, 24], kind: .sequence(batchFirst: false)),
        Case(key: "sequence_timestepwise", layout: LayoutOptions(timeseriesMethod: .timestepObservations), shape: [32, 10, 24],
             kind: .sequence(batchFirst: true)),
        Case(key: "sequence_flattened_time_first", layout: LayoutOptions(timeseriesMethod: .flattenedSequence), shape: [10, 32, 6],
             kind: .sequence(batchFirst: false)),
    ]

    /// The preloaded counter, when there is one.
    static let counter: (@convention(c) () -> UInt64)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "delve_allocation_count") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) () -> UInt64).self)
    }()

    /// Records 12 warm-up batches per case (past the first side-by-side flushes, which start the helper
    /// threads and size the reused lists), then counts the allocations of `batches` more.
    static func measure(batches: Int) throws -> BenchReport {
        var report = BenchReport(title: "Heap allocations per recorded batch in steady state (tracker.record)",
                                 columns: ["layout", "shape", "allocations/batch"])
        for c in cases {
            var options = TrackerOptions(statistics: [.lsat, .idim])
            options.layout = c.layout
            options.precision = c.precision
            let tracker = try SaturationTracker(options: options)
            let count = c.shape.reduce(1, *)
            let batch = ArrayActivationBatch(values: (0..<count).map { Float(($0 * 7919) % 113) / 17 - 3 },
                                             shape: c.shape, kind: c.kind)
            let names = (0..<c.layers).map { c.layers == 1 ? "layer" : "layer\($0)" }
            // Side-by-side flushes and split channelwise batches need two BLAS threads (restored below).
            let threads = BLAS.threadCount
            if c.threads > 1 { BLAS.setThreadCount(max(threads, c.threads)) }
            defer { BLAS.setThreadCount(threads) }
            for _ in 0..<12 { for name in names { try tracker.record(layer: name, phase: .train, batch: batch) } }
            let perBatch: Double
            if let counter {
                let before = counter()
                for _ in 0..<batches { for name in names { try tracker.record(layer: name, phase: .train, batch: batch) } }
                perBatch = Double(counter() - before) / Double(batches)
            } else {
                perBatch = .nan
            }
            _ = try tracker.endEpoch()
            report.rows.append([c.key, c.shape.map(String.init).joined(separator: "×"),
                                perBatch.isNaN ? "n/a" : String(format: "%.2f", perBatch)])
            report.metrics.append(("allocations_per_batch_\(c.key)", perBatch))
        }
        report.footnotes.append(counter == nil
            ? "Counter not loaded: run scripts/alloc-check.sh (LD_PRELOAD of scripts/alloc-count.c)."
            : "Counted with the preloaded malloc counter (calling thread only), BLAS threads: \(BLAS.threadCount).")
        return report
    }
}
