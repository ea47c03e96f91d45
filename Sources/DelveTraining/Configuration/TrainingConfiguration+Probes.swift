import Delve
import DelveOutputs

extension TrainingConfiguration {
    /// The run.json pair of the linear probes (none when they are off).
    var probePairs: [RunInfo.Pair] {
        guard let probes = tracker.probes else { return [] }
        return [.init("probes", "on, λ " + (probes.ridge.map { String($0) } ?? "\(probes.relativeRidge) · trace(Σ)/D"))]
    }

    /// The checkpoint manifest's entry for the probes, only when they are on (so other manifests are unchanged);
    /// λ as a float64 bit pattern.
    var probeJSON: [(String, JSONValue)] {
        guard let probes = tracker.probes else { return [] }
        var fields: [(String, JSONValue)] = [("relative-ridge", .string(String(probes.relativeRidge.bitPattern)))]
        if let ridge = probes.ridge { fields.append(("ridge", .string(String(ridge.bitPattern)))) }
        return [("probes", .object(fields))]
    }

    /// Reads ``probeJSON`` back into `options` (absent: probes off).
    static func readProbes(_ json: JSONValue, into options: inout TrackerOptions, source: String) throws(TrainingError) {
        guard let entry = json["probes"] else { return }
        func bits(_ key: String) -> Double? { entry[key]?.stringValue.flatMap { UInt64($0) }.map(Double.init(bitPattern:)) }
        guard let relative = bits("relative-ridge"), entry["ridge"] == nil || bits("ridge") != nil else {
            throw .failed("\(source): configuration entry \"probes\" is invalid (expected {\"relative-ridge\": bits, \"ridge\": bits})")
        }
        options.probes = ProbeOptions(ridge: bits("ridge"), relativeRidge: relative)
    }

    /// `--probe` and `--probe-ridge` as text, for comparing the options given with `--resume`.
    var probeOptionTexts: [String: String] {
        ["probe": tracker.probes == nil ? "off" : "on", "probe-ridge": tracker.probes?.ridge.map { String($0) } ?? ""]
    }

    /// Whether the run's tracker needs the labels of each batch.
    public var needsLabels: Bool { tracker.probes != nil }
}
