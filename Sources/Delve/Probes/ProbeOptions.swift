/// The options of the streaming linear probes (``TrackerOptions/probes``, `delve analyze --labels`).
///
/// A probe is the ridge least-squares map from a layer's per-sample features to one-hot class targets,
/// solved in closed form from the statistics the tracker accumulates (see ``LinearProbe``).
public struct ProbeOptions: Sendable, Equatable {
    /// The ridge λ of `(Σ + λI) W = M`; `nil` (the default): ``relativeRidge`` · tr(Σ)/D.
    public var ridge: Double?
    /// The factor of the default λ = factor · tr(Σ)/D (default 1e-3), used when ``ridge`` is nil.
    public var relativeRidge: Double
    /// The number of classes K when fixed (labels must be in 0..<K); `nil` (the default): K grows to
    /// the largest label seen plus one.
    public var classes: Int?

    /// Options with the given ridge, relative ridge and class count.
    public init(ridge: Double? = nil, relativeRidge: Double = 1e-3, classes: Int? = nil) {
        self.ridge = ridge
        self.relativeRidge = relativeRidge
        self.classes = classes
    }

    /// Checks that λ is finite and not negative and K, when given, is at least 2.
    public func validate() throws(ProbeError) {
        if let ridge, !(ridge.isFinite && ridge >= 0) { throw .invalidOption("the probe ridge λ must be finite and ≥ 0, got \(ridge)") }
        guard relativeRidge.isFinite, relativeRidge >= 0 else {
            throw .invalidOption("the probe's relative ridge must be finite and ≥ 0, got \(relativeRidge)")
        }
        if let classes, classes < 2 { throw .invalidOption("a probe needs at least 2 classes, got \(classes)") }
    }
}
