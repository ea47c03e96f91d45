import DelveLinearAlgebra
import Foundation

/// Errors of ``PCAProjection``: a basis or threshold that cannot be used.
public enum PCAProjectionError: Error, Equatable, CustomStringConvertible {
    /// δ is not in (0, 1].
    case threshold(Double)
    /// The mean, eigenvalues or eigenvectors do not have D, D and D×D values.
    case shape(what: String, expected: Int, got: Int)
    /// The basis holds NaN or ±∞.
    case nonFinite(what: String)
    /// The covariance could not be decomposed.
    case eigensolver(String)

    public var description: String {
        switch self {
        case .threshold(let delta): return "the PCA threshold δ must be in (0, 1], got \(delta)"
        case let .shape(what, expected, got): return "the PCA \(what) must have \(expected) values, got \(got)"
        case .nonFinite(let what): return "the PCA \(what) hold NaN or infinite values"
        case .eigensolver(let reason): return "the PCA covariance could not be decomposed: \(reason)"
        }
    }
}

/// Delve's PCA layers (`LinearPCALayer`, `Conv2DPCALayer`; Richter et al. 2021, "Feature space
/// saturation during training"): placed after a `Linear` or a convolution, identity in training mode,
/// and in evaluation mode the projection of the output onto the k leading eigenvectors of a
/// covariance, around its mean: x ↦ μ + V_k V_kᵀ (x − μ).
///
/// k is the intrinsic dimensionality at δ (``threshold``): with the clipped eigenvalues λ₁ ≥ … ≥ λ_D and
/// shares sₖ = (λ₁ + … + λₖ)/Σλ, the paper's smallest k with sₖ ≥ δ — exactly the engine's
/// `Spectrum.intrinsicDimensionality` (shares within 1e-12 of δ reach it; an all-zero spectrum keeps
/// k = 0) — or, with the `delve` ``Convention``, Delve 0.1.50's PCA layer: the count of sₖ < δ, at least 1
/// (its "singularity" fallback; its extra direction when the last kept share is more than 0.02 below δ
/// is not reproduced). The threshold can be changed at any time, and
/// ``injectRandomDirections(using:)`` replaces the kept directions by as many random orthonormal ones
/// (Delve's `change_all_pca_layer_thresholds_and_inject_random_directions`).
///
/// ``Layout``: `rows` projects `[…, D]` along its last axis (after a `Linear`); `channels` projects
/// `[N, D, …]` at every position over its D channels (after a convolution) — the channelwise
/// covariance Delve uses. The basis is given (``setBasis(mean:eigenvalues:eigenvectors:)``, e.g. from a tracker's
/// train covariance, or ``setBasis(mean:covariance:)``); without one the layer passes values through.
/// The projection is an inference operation: its output carries no gradient.
public final class PCAProjection: Module {
    /// How k is counted from the shares sₖ.
    public enum Convention: String, Sendable {
        /// The paper's smallest k with sₖ ≥ δ.
        case paper
        /// Delve 0.1.50's PCA layer: the count of k with sₖ < δ (one less than the paper's), at least 1.
        case delve
    }

    /// Which axis holds the D features.
    public enum Layout: String, Sendable {
        /// The last axis: `[…, D]`, row by row (`LinearPCALayer`).
        case rows
        /// Axis 1: `[N, D, …]`, at every position (`Conv2DPCALayer`).
        case channels
    }

    /// D, the number of features (channels) projected.
    public let features: Int
    /// The count convention for k.
    public let convention: Convention
    /// The feature axis.
    public let layout: Layout
    /// δ, the share of the variance the kept directions explain (in (0, 1]).
    public private(set) var threshold: Double
    /// μ, the mean the projection is centred on (D values; zeros before a basis is set).
    public private(set) var mean: [Double]
    /// The eigenvalues, largest first, negatives clipped to 0 (empty before a basis is set).
    public private(set) var eigenvalues: [Double] = []
    /// The eigenvectors, row-major D×D, column j belonging to `eigenvalues[j]`.
    public private(set) var eigenvectors: [Double] = []
    /// k, the number of directions kept (D before a basis is set).
    public private(set) var keptDimensions: Int
    /// Whether the kept directions are random ones (``injectRandomDirections(using:)``) rather than
    /// the leading eigenvectors; a new threshold or basis restores the eigenvectors.
    public private(set) var usesRandomDirections = false
    /// The kept directions B (row-major D×k, orthonormal columns).
    public private(set) var keptBasis: [Double] = []
    /// P = B Bᵀ (D×D, float32) and b = μ − Pμ, so that the projection is P x + b.
    private var projection: [Float] = []
    private var offset: [Float] = []

    /// A layer for `features` features (channels) with threshold δ; it passes values through until a
    /// basis is set.
    public init(features: Int, threshold: Double = 0.99, convention: Convention = .paper,
                layout: Layout = .rows) throws(PCAProjectionError) {
        require(features > 0, "PCAProjection: features must be positive, got \(features)")
        guard threshold > 0, threshold <= 1 else { throw .threshold(threshold) }
        self.features = features
        self.threshold = threshold
        self.convention = convention
        self.layout = layout
        mean = [Double](repeating: 0, count: features)
        keptDimensions = features
        super.init()
    }

    /// Whether a basis has been set.
    public var hasBasis: Bool { !eigenvectors.isEmpty }

    /// The kept count k for `eigenvalues` at `threshold` (see the type's documentation).
    public static func keptCount(eigenvalues: [Double], threshold: Double, convention: Convention = .paper) -> Int {
        let values = eigenvalues.map { max($0, 0) }.sorted(by: >)
        let total = values.reduce(0, +)
        guard total > 0, total.isFinite else { return 0 }
        var cumulative = 0.0
        for (index, lambda) in values.enumerated() {
            cumulative += lambda
            if cumulative / total >= threshold - 1e-12 { return convention == .paper ? index + 1 : max(index, 1) }
        }
        return values.count
    }

    /// Sets the basis: μ (D values), eigenvalues (D, any order; negatives clipped to 0) and their
    /// eigenvectors (row-major D×D, column j for eigenvalue j, orthonormal), then recomputes k at the
    /// current threshold.
    public func setBasis(mean: [Double], eigenvalues: [Double], eigenvectors: [Double]) throws(PCAProjectionError) {
        let d = features
        guard mean.count == d else { throw .shape(what: "mean", expected: d, got: mean.count) }
        guard eigenvalues.count == d else { throw .shape(what: "eigenvalues", expected: d, got: eigenvalues.count) }
        guard eigenvectors.count == d * d else { throw .shape(what: "eigenvectors", expected: d * d, got: eigenvectors.count) }
        guard mean.allSatisfy(\.isFinite) else { throw .nonFinite(what: "mean") }
        guard eigenvalues.allSatisfy(\.isFinite) else { throw .nonFinite(what: "eigenvalues") }
        guard eigenvectors.allSatisfy(\.isFinite) else { throw .nonFinite(what: "eigenvectors") }
        let order = (0..<d).sorted { eigenvalues[$0] > eigenvalues[$1] || (eigenvalues[$0] == eigenvalues[$1] && $0 < $1) }
        var vectors = [Double](repeating: 0, count: d * d)
        for row in 0..<d { for (j, source) in order.enumerated() { vectors[row * d + j] = eigenvectors[row * d + source] } }
        self.mean = mean
        self.eigenvalues = order.map { max(eigenvalues[$0], 0) }
        self.eigenvectors = vectors
        rebuild()
    }

    /// Sets the basis from a covariance matrix (row-major D×D, symmetric) and its mean, decomposed with
    /// LAPACK `dsyevd` (`SymmetricEigen`).
    public func setBasis(mean: [Double], covariance: [Double]) throws(PCAProjectionError) {
        guard covariance.count == features * features else {
            throw .shape(what: "covariance", expected: features * features, got: covariance.count)
        }
        guard covariance.allSatisfy(\.isFinite) else { throw .nonFinite(what: "covariance") }
        let decomposition: (values: [Double], vectors: [Double])
        do {
            decomposition = try SymmetricEigen.decompose(covariance, dimension: features)
        } catch {
            throw .eigensolver(error.description)
        }
        try setBasis(mean: mean, eigenvalues: decomposition.values, eigenvectors: decomposition.vectors)
    }

    /// Changes δ and recomputes k and the projection (the leading eigenvectors again).
    public func setThreshold(_ threshold: Double) throws(PCAProjectionError) {
        guard threshold > 0, threshold <= 1 else { throw .threshold(threshold) }
        self.threshold = threshold
        rebuild()
    }

    /// Replaces the k kept directions by k random orthonormal ones (a Haar-distributed D×k frame: Gaussian
    /// columns, Gram–Schmidt twice), keeping k and μ — Delve's control experiment for the PCA layers.
    public func injectRandomDirections(using generator: inout some RandomNumberGenerator) {
        guard hasBasis else { return }
        let d = features, k = keptDimensions
        var basis = [Double](repeating: 0, count: d * k)
        for j in 0..<k {
            var column = (0..<d).map { _ in Self.gaussian(&generator) }
            for _ in 0..<2 {
                for i in 0..<j {
                    var dot = 0.0
                    for r in 0..<d { dot += basis[r * k + i] * column[r] }
                    for r in 0..<d { column[r] -= dot * basis[r * k + i] }
                }
            }
            let norm = column.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for r in 0..<d { basis[r * k + j] = column[r] / norm }
        }
        install(basis: basis, kept: k)
        usesRandomDirections = true
    }

    /// A standard normal sample (Box–Muller).
    private static func gaussian(_ generator: inout some RandomNumberGenerator) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
        let v = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// k at the current threshold and the projection onto the k leading eigenvectors.
    private func rebuild() {
        guard hasBasis else { return }
        let d = features
        let k = Self.keptCount(eigenvalues: eigenvalues, threshold: threshold, convention: convention)
        var basis = [Double](repeating: 0, count: d * k)
        for r in 0..<d { for j in 0..<k { basis[r * k + j] = eigenvectors[r * d + j] } }
        install(basis: basis, kept: k)
        usesRandomDirections = false
    }

    /// Sets B, P = B Bᵀ and b = μ − Pμ (in float64, stored as float32).
    private func install(basis: [Double], kept k: Int) {
        let d = features
        var p = [Double](repeating: 0, count: d * d)
        if k > 0 {
            basis.withUnsafeBufferPointer { b in
                p.withUnsafeMutableBufferPointer { c in
                    BLAS.gemm(.none, .transpose, m: d, n: d, k: k, alpha: 1, a: b.baseAddress!, lda: k,
                              b: b.baseAddress!, ldb: k, beta: 0, c: c.baseAddress!, ldc: d)
                }
            }
        }
        var b = mean
        for r in 0..<d { for c in 0..<d { b[r] -= p[r * d + c] * mean[c] } }
        keptBasis = basis
        keptDimensions = k
        projection = p.map { Float($0) }
        offset = b.map { Float($0) }
    }

    /// Training mode or no basis: the input. Evaluation mode: P x + b over the feature axis
    /// (``layout``).
    public override func forward(_ input: Tensor) -> Tensor {
        guard !training, hasBasis else { return input }
        let d = features
        let channelAxis = layout == .rows ? input.rank - 1 : 1
        require(input.rank > channelAxis && channelAxis >= 0 && input.shape[channelAxis] == d,
                "PCAProjection: expected \(d) features on axis \(channelAxis), got shape \(input.shape)")
        let out = Tensor.empty(input.shape)
        let x = input.storage.pointer, y = out.storage.pointer
        projection.withUnsafeBufferPointer { p in
            if layout == .rows {
                // Rows: Y = X P + 1 bᵀ (P is symmetric).
                let rows = input.count / d
                for r in 0..<rows { (y + r * d).update(from: offset, count: d) }
                Tensor.gemm(false, false, m: rows, n: d, k: d, a: x, lda: d, b: p.baseAddress!, ldb: d, beta: 1, c: y)
            } else {
                // Per sample: Y_n = P X_n + b 1ᵀ, X_n being D × (positions).
                let batch = input.shape[0], positions = input.count / max(batch * d, 1)
                for n in 0..<batch {
                    let yn = y + n * d * positions
                    for c in 0..<d { (yn + c * positions).update(repeating: offset[c], count: positions) }
                    Tensor.gemm(false, false, m: d, n: positions, k: d, a: p.baseAddress!, lda: d,
                                b: x + n * d * positions, ldb: positions, beta: 1, c: yn)
                }
            }
        }
        return out
    }
}
