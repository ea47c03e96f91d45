/// Linear CKA between the tracked layers (opt-in: ``TrackerOptions/cka``).
///
/// For each pair of tracked layers in ``phase``, the tracker accumulates the cross-covariance of their
/// per-sample features — dense outputs as they are, convolutions by the spatial mean per channel,
/// sequences by the last step — over the epoch (``LayerSimilarityAccumulator``) and puts the CKA matrix
/// in the epoch record (``EpochRecord/similarity``). Every epoch starts afresh.
public struct CKAOptions: Sendable, Equatable {
    /// The phase whose outputs are compared (default: eval, the same test samples every epoch).
    public var phase: Phase
    /// The largest joint state allowed, in bytes (Σ over layer pairs of d_x·d_y·8); more is refused.
    public var memoryLimit: Int

    /// The default limit: 1 GiB.
    public static let defaultMemoryLimit = 1 << 30

    /// Options for `phase` with the given limit.
    public init(phase: Phase = .eval, memoryLimit: Int = CKAOptions.defaultMemoryLimit) {
        self.phase = phase
        self.memoryLimit = memoryLimit
    }

    /// Checks the memory the layers' cross-covariances will take against ``memoryLimit`` and returns the
    /// line that announces it; throws ``SimilarityError/memory(bytes:limit:layers:)`` above the limit.
    public func plan(layers: [(name: String, features: Int)]) throws(SimilarityError) -> String {
        let bytes = LayerSimilarityAccumulator.memoryBytes(features: layers.map(\.features))
        guard bytes <= memoryLimit else {
            throw .memory(bytes: bytes, limit: memoryLimit, layers: layers.map { ($0.name, $0.features) })
        }
        return "CKA between \(layers.count) layers (\(phase.rawValue)): the cross-covariances take \(formatBytes(bytes)) "
            + "(Σd = \(layers.reduce(0) { $0 + $1.features }), limit \(formatBytes(memoryLimit)))"
    }
}
