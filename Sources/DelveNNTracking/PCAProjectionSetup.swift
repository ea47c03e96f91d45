import Delve
import DelveNN

/// One tracked layer's train-phase covariance, read from a `SaturationTracker` before `endEpoch()`
/// resets it: the basis of Delve's PCA layers ("the last epoch's train covariance").
public struct LayerCovarianceSnapshot: Sendable {
    /// The tracker's layer name (the module path).
    public let layer: String
    /// D, the features (channels for a channelwise convolution).
    public let features: Int
    /// N, the observations behind it.
    public let samples: Int
    /// μ (D values).
    public let mean: [Double]
    /// The population covariance (row-major D×D, divided by N; the scale does not change the
    /// eigenvectors or the shares).
    public let covariance: [Double]
}

extension SaturationTracker {
    /// The train-phase covariance of every layer that saw train batches this epoch, in first-seen order
    /// — call it before `endEpoch()`, which resets the accumulators. With
    /// `resetCovariance` off it holds every epoch since the start.
    public func trainCovariances() throws(CovarianceError) -> [LayerCovarianceSnapshot] {
        var result: [LayerCovarianceSnapshot] = []
        for (layer, phase) in epochLayers() where phase == .train {
            guard let bytes = serializedState(layer: layer, phase: phase) else { continue }
            let state = try CovarianceAccumulator(serialized: bytes, source: "layer '\(layer)' train state")
            guard state.count > 0 else { continue }
            result.append(LayerCovarianceSnapshot(layer: layer, features: state.features, samples: state.count,
                                                  mean: state.mean, covariance: state.covariance()))
        }
        return result
    }
}

/// PCA projections attached to a trained model's tracked layers (output transforms, see
/// `Module.setOutputTransform(_:)`), and the layers left out with the reason.
public final class PCAProjectionSetup {
    /// The projected layers, in the model's order, with their projection.
    public let projections: [(layer: String, projection: PCAProjection)]
    /// The tracked layers not projected, with why.
    public let skipped: [(layer: String, reason: String)]
    private let modules: [Module]

    /// Attaches a `PCAProjection` at `threshold` after every module of `model` whose path has a
    /// snapshot, with the snapshot's mean and covariance as its basis.
    ///
    /// Projectable: `Linear` (its rows) and, with the `channelwise` conv method, `Conv1d`, `Conv2d` and
    /// `ConvTranspose2d` (each position over the channels — the covariance the tracker accumulated; with
    /// `downsample` it came from the resized maps). Skipped, with a reason: convolutions under another
    /// conv method (their covariance is not per position), LSTM/GRU (the tracked covariance is of a
    /// reduced sequence), other modules and layers without a snapshot.
    public init(model: Module, snapshots: [LayerCovarianceSnapshot], layout: LayoutOptions,
                threshold: Double, convention: PCAProjection.Convention = .paper) throws(PCAProjectionError) {
        let byLayer = Dictionary(snapshots.map { ($0.layer, $0) }, uniquingKeysWith: { a, _ in a })
        var projections: [(layer: String, projection: PCAProjection)] = []
        var skipped: [(layer: String, reason: String)] = []
        var modules: [Module] = []
        for (path, module) in model.namedModules() where !path.isEmpty {
            guard let kind = SaturationTracker.activationKind(of: module) else { continue }
            guard let snapshot = byLayer[path] else {
                skipped.append((path, "no train covariance in the last epoch"))
                continue
            }
            let axis: PCAProjection.Layout
            switch kind {
            case .dense:
                axis = .rows
            case .convolution where layout.convMethod == .channelwise:
                axis = .channels
            case .convolution:
                skipped.append((path, "conv method \(layout.convMethod.rawValue): its covariance is not per position, so there is no per-position projection (use channelwise)"))
                continue
            case .sequence:
                skipped.append((path, "\(type(of: module)): the tracked covariance is of the reduced sequence, not of each output"))
                continue
            }
            let projection = try PCAProjection(features: snapshot.features, threshold: threshold, convention: convention, layout: axis)
            try projection.setBasis(mean: snapshot.mean, covariance: snapshot.covariance)
            projection.eval()
            module.setOutputTransform { projection($0) }
            projections.append((path, projection))
            modules.append(module)
        }
        self.projections = projections
        self.skipped = skipped
        self.modules = modules
    }

    /// Sets δ on every projection (k recomputed from the same basis).
    public func setThreshold(_ threshold: Double) throws(PCAProjectionError) {
        for (_, projection) in projections { try projection.setThreshold(threshold) }
    }

    /// Replaces every projection's k kept directions by k random orthonormal ones (the control;
    /// `setThreshold(_:)` brings the leading eigenvectors back).
    public func injectRandomDirections(using generator: inout some RandomNumberGenerator) {
        for (_, projection) in projections { projection.injectRandomDirections(using: &generator) }
    }

    /// k per projected layer, in ``projections`` order.
    public var keptDimensions: [Int] { projections.map(\.projection.keptDimensions) }

    /// Removes the output transforms: the model computes as before.
    public func detach() {
        for module in modules { module.setOutputTransform(nil) }
    }
}
