import Delve
import DelveOutputs

extension TrainingConfiguration {
    /// The run.json pairs of linear CKA and the collapse warning (none when CKA is off and the share is the default).
    var similarityPairs: [RunInfo.Pair] {
        var pairs: [RunInfo.Pair] = []
        if let cka = tracker.cka {
            pairs.append(.init("cka", "\(cka.phase.rawValue) phase, memory limit \(cka.memoryLimit >> 20) MiB"))
        }
        if tracker.collapseShare != 0.1 { pairs.append(.init("collapse-share", String(tracker.collapseShare))) }
        return pairs
    }

    /// The checkpoint manifest's entries for CKA and the collapse share, only when they differ from the
    /// defaults (so manifests of runs without them are unchanged).
    var similarityJSON: [(String, JSONValue)] {
        var pairs: [(String, JSONValue)] = []
        if let cka = tracker.cka {
            pairs.append(("cka", .object([("phase", .string(cka.phase.rawValue)), ("memory-limit", .number(Double(cka.memoryLimit)))])))
        }
        if tracker.collapseShare != 0.1 { pairs.append(("collapse-share", .string(String(tracker.collapseShare.bitPattern)))) }
        return pairs
    }

    /// Reads ``similarityJSON`` back into `options` (absent entries: CKA off, default share).
    static func readSimilarity(_ json: JSONValue, into options: inout TrackerOptions, source: String) throws(TrainingError) {
        if let cka = json["cka"] {
            guard let phase = cka["phase"]?.stringValue.flatMap(Phase.init(rawValue:)),
                  let limit = cka["memory-limit"]?.doubleValue, limit >= 1, limit < 9e18 else {
                throw .failed("\(source): configuration entry \"cka\" is invalid (expected {\"phase\": train or eval, \"memory-limit\": bytes})")
            }
            options.cka = CKAOptions(phase: phase, memoryLimit: Int(limit))
        }
        if let share = json["collapse-share"] {
            guard let bits = share.stringValue.flatMap({ UInt64($0) }) else {
                throw .failed("\(source): configuration entry \"collapse-share\" is invalid (expected a float64 bit pattern)")
            }
            options.collapseShare = Double(bitPattern: bits)
        }
    }

    /// `--cka` and `--collapse-share` as text, for comparing the options given with `--resume`.
    var similarityOptionTexts: [String: String] {
        ["cka": tracker.cka == nil ? "off" : "on", "cka-phase": tracker.cka?.phase.rawValue ?? "",
         "collapse-share": String(tracker.collapseShare)]
    }
}
