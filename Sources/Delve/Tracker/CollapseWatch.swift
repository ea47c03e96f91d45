import Foundation

/// The dimensional-collapse warning of the tracker: with ``Statistic/rankme`` among the statistics, a
/// layer and phase whose RankMe is below `share` · D, or fell to less than half of its previous epoch's
/// value, gets a note starting with ``prefix`` that names the layer, the phase and the epoch (Garrido
/// et al. 2023 use RankMe to detect collapse without labels). Notes reach the console, the report, the
/// JSONL records and the advice of `delve train`.
final class CollapseWatch: @unchecked Sendable {   // `previous` is guarded by `lock`
    /// Every collapse note starts with this.
    static let prefix = "collapse:"
    let share: Double
    private let lock = NSLock()
    private var previous: [String: Double] = [:]

    init(share: Double) {
        self.share = share
    }

    private static func key(_ layer: String, _ phase: Phase) -> String { "\(phase.rawValue)\u{0}\(layer)" }

    /// `layers` with collapse notes added; remembers each RankMe for the next epoch.
    func annotate(_ layers: [LayerEpochValues], epoch: Int) -> [LayerEpochValues] {
        lock.withLock {
            layers.map { entry in
                var entry = entry
                guard let rankme = entry.statistics[.rankme], rankme.isFinite else { return entry }
                let key = Self.key(entry.layer, entry.phase)
                entry.notes += Self.notes(layer: entry.layer, phase: entry.phase, epoch: epoch, rankme: rankme,
                                          features: entry.features, previous: previous[key], share: share)
                previous[key] = rankme
                return entry
            }
        }
    }

    /// Takes the RankMe values of `record` (the last completed epoch of a resumed run) as the previous epoch's.
    func seed(from record: EpochRecord) {
        lock.withLock {
            for entry in record.layers {
                if let rankme = entry.statistics[.rankme], rankme.isFinite { previous[Self.key(entry.layer, entry.phase)] = rankme }
            }
        }
    }

    /// The collapse notes for one layer's RankMe (empty when it is fine).
    static func notes(layer: String, phase: Phase, epoch: Int, rankme: Double, features: Int, previous: Double?,
                      share: Double) -> [String] {
        var notes: [String] = []
        let name = "layer '\(layer)' (\(phase.rawValue)), epoch \(epoch)"
        if features > 0, rankme < share * Double(features) {
            notes.append("\(prefix) \(name): RankMe \(text(rankme)) is below \(text(share * 100)) % of its \(features) dimensions")
        }
        if let previous, previous > 0, rankme < previous / 2 {
            notes.append("\(prefix) \(name): RankMe fell by more than half within the epoch, from \(text(previous)) to \(text(rankme))")
        }
        return notes
    }

    private static func text(_ value: Double) -> String { String(format: "%.4g", value) }
}

extension SaturationTracker {
    /// Takes the RankMe values of `record` as the previous epoch's for the collapse warning (a resumed run
    /// passes its last completed epoch, so that a fall by half within the first resumed epoch is seen).
    public func seedCollapseWarning(from record: EpochRecord) {
        collapse.seed(from: record)
    }
}
