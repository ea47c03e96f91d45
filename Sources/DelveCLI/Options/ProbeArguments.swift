import ArgumentParser
import Delve

/// The linear probes of `delve train` (`--probe`, `--probe-ridge`).
struct ProbeArguments: ParsableArguments {
    @Flag(help: "A linear probe per tracked layer each epoch: probe-r2 of the train fit and probe-accuracy on the eval phase (ridge least squares from the batch labels, solved in closed form).")
    var probe = false
    @Option(name: .customLong("probe-ridge"), help: "With --probe: the ridge λ (default 1e-3 · trace(Σ)/D per layer).")
    var probeRidge: Double?

    func validate() throws {
        if let probeRidge {
            guard probe else { throw ValidationError("--probe-ridge needs --probe") }
            guard probeRidge.isFinite, probeRidge >= 0 else { throw ValidationError("--probe-ridge must be finite and ≥ 0, got \(probeRidge)") }
        }
    }

    /// Sets the probe options in `options`.
    func apply(to options: inout TrackerOptions) {
        options.probes = probe ? ProbeOptions(ridge: probeRidge) : nil
    }
}
