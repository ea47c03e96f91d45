import ArgumentParser
import Delve

/// Linear CKA between layers and the collapse warning, shared by `delve train` and `delve demo`.
struct SimilarityArguments: ParsableArguments {
    @Flag(help: "Linear CKA between every pair of tracked layers each epoch (cka.csv, JSONL, plots/cka, report): convolutions by the spatial mean per channel, sequences by the last step.")
    var cka = false
    @Option(name: .customLong("cka-phase"), help: "With --cka: the phase whose outputs are compared, train or eval.")
    var ckaPhase: Phase = .eval
    @Option(name: .customLong("cka-memory-limit"), help: "With --cka: refuse to start when the cross-covariances (Σ d_x·d_y·8 bytes) would take more than this many MiB.")
    var ckaMemoryLimit: Int = CKAOptions.defaultMemoryLimit >> 20
    @Option(name: .customLong("collapse-share"), help: "With rankme in --stats: warn when a layer's RankMe falls below this share of its dimension (or by more than half within an epoch).")
    var collapseShare: Double = 0.1

    func validate() throws {
        guard ckaMemoryLimit >= 1 else { throw ValidationError("--cka-memory-limit must be at least 1 (MiB), got \(ckaMemoryLimit)") }
        guard collapseShare >= 0, collapseShare <= 1 else { throw ValidationError("--collapse-share must be in [0, 1], got \(collapseShare)") }
    }

    /// Sets CKA and the collapse share in `options`.
    func apply(to options: inout TrackerOptions) {
        options.cka = cka ? CKAOptions(phase: ckaPhase, memoryLimit: ckaMemoryLimit << 20) : nil
        options.collapseShare = collapseShare
    }
}
