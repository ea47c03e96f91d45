import Foundation

/// Everything the tracker computed for one layer in one phase at the end of an epoch.
///
/// `statistics` holds the scalar statistics that were requested (lsat = idim / `features`, idim, trc, ...);
/// `eigenvalues` is the covariance spectrum in descending order and `covariance` the row-major
/// `features × features` covariance matrix, when the tracker keeps them.
public struct LayerEpochValues: Sendable, Equatable {
    /// The layer's name, as it appears in output keys (`fc1`, `conv2`).
    public var layer: String
    /// Whether the values describe outputs seen in training or in evaluation mode.
    public var phase: Phase
    /// The feature count D of the layer (the covariance matrix is D × D).
    public var features: Int
    /// How many samples (feature vectors) the covariance was accumulated from.
    public var samples: Int
    /// The scalar statistics of the layer, e.g. `[.lsat: 0.42, .idim: 27]`.
    public var statistics: [Statistic: Double]
    /// The eigenvalues of the covariance matrix, largest first, when available.
    public var eigenvalues: [Double]?
    /// The row-major D × D covariance matrix, when available.
    public var covariance: [Double]?
    /// Remarks for the user (e.g. "fewer samples than features"), shown by the console and the report.
    public var notes: [String]
    /// How many bad batches (NaN or ±∞ values, a changed width, no samples) of this layer and phase
    /// were skipped in the epoch under ``BadBatchPolicy/skip``; 0 otherwise.
    public var skippedBatches: Int

    /// Creates the values of one layer and phase.
    public init(
        layer: String, phase: Phase, features: Int, samples: Int,
        statistics: [Statistic: Double], eigenvalues: [Double]? = nil,
        covariance: [Double]? = nil, notes: [String] = [], skippedBatches: Int = 0
    ) {
        self.skippedBatches = skippedBatches
        self.layer = layer
        self.phase = phase
        self.features = features
        self.samples = samples
        self.statistics = statistics
        self.eigenvalues = eigenvalues
        self.covariance = covariance
        self.notes = notes
    }

    /// The scalar statistics present in this layer, in the order of `Statistic.allCases`.
    public var orderedStatistics: [(statistic: Statistic, value: Double)] {
        Statistic.allCases.compactMap { stat in
            guard stat.isScalar, let value = statistics[stat] else { return nil }
            return (stat, value)
        }
    }
}

/// What the tracker hands every writer at the end of an epoch.
public struct EpochRecord: Sendable {
    /// The epoch index (0-based, as in Delve's CSV index).
    public var epoch: Int
    /// The per-layer values, in network order (a layer may appear once per phase).
    public var layers: [LayerEpochValues]
    /// User scalars such as `train-accuracy`, `test-loss` or `average-train-saturation`, in the order given.
    public var scalars: [(name: String, value: Double)]
    /// The variance threshold δ used for idim and lsat (0.99 by default).
    public var threshold: Double
    /// Linear CKA between the layers (one matrix per phase that has one), when the tracker's
    /// ``TrackerOptions/cka`` is on; empty otherwise.
    public var similarity: [CKAMatrix] = []

    /// Creates a record.
    public init(
        epoch: Int, layers: [LayerEpochValues],
        scalars: [(name: String, value: Double)] = [], threshold: Double = 0.99
    ) {
        self.epoch = epoch
        self.layers = layers
        self.scalars = scalars
        self.threshold = threshold
    }

    /// The mean saturation over the layers of each phase that have one, as Delve's scalars
    /// `average-train-sat` and `average-eval-sat` (NaN values — layers without samples
    /// have no saturation — are left out, and so is a phase without any other lsat value).
    public static func averageSaturations(of layers: [LayerEpochValues]) -> [(name: String, value: Double)] {
        var result: [(name: String, value: Double)] = []
        for phase in Phase.allCases {
            let sats = layers.filter { $0.phase == phase }.compactMap { $0.statistics[.lsat] }.filter { !$0.isNaN }
            guard !sats.isEmpty else { continue }
            result.append((averageSaturationName(phase), sats.reduce(0, +) / Double(sats.count)))
        }
        return result
    }

    /// `average-<phase>-sat`, the name of a phase's mean saturation.
    public static func averageSaturationName(_ phase: Phase) -> String { "average-\(phase.rawValue)-sat" }

    /// Every scalar of the record under its output name, in a stable order: for each layer entry
    /// (network order) its statistics keyed by `delveKey(phase:statistic:layer:)`
    /// (`train-saturation_fc1`), in the order of `Statistic.allCases`; then the user scalars.
    public var keyedValues: [(key: String, value: Double)] {
        var result: [(key: String, value: Double)] = []
        for entry in layers {
            for (stat, value) in entry.orderedStatistics {
                result.append((delveKey(phase: entry.phase, statistic: stat, layer: entry.layer), value))
            }
        }
        for scalar in scalars { result.append((scalar.name, scalar.value)) }
        return result
    }

    /// The number of bad batches skipped in this epoch over every layer and phase (see
    /// ``LayerEpochValues/skippedBatches``).
    public var skippedBatches: Int { layers.reduce(0) { $0 + $1.skippedBatches } }

    /// The value of the user scalar `name`, if the record has one.
    public func scalar(named name: String) -> Double? {
        scalars.first(where: { $0.name == name })?.value
    }

    /// The entry of `layer` in `phase`, if the record has one.
    public func values(layer: String, phase: Phase) -> LayerEpochValues? {
        layers.first(where: { $0.layer == layer && $0.phase == phase })
    }

    /// The distinct layer names in network order (first appearance).
    public var layerNames: [String] {
        var seen = Set<String>()
        return layers.compactMap { seen.insert($0.layer).inserted ? $0.layer : nil }
    }

    /// The same record without covariance matrices (what writers keep in memory for history).
    public var withoutCovariance: EpochRecord {
        var copy = self
        for i in copy.layers.indices { copy.layers[i].covariance = nil }
        return copy
    }
}

/// Formats a number as Delve's CSV (pandas) does: the shortest text that reads back to the same
/// double (`0.5`, `1.0`, `1e-07`, `0.3333333333333333`), and `inf`, `-inf`, `nan`.
public func delveNumberText(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    return "\(value)"
}
