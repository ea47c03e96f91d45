import Foundation
import DelveLinearAlgebra

/// The eigenvalue spectrum of a layer's covariance matrix and the statistics derived from it.
///
/// Eigenvalues are sorted in descending order and negative ones (rounding noise of a positive
/// semi-definite matrix) are clipped to 0. An all-zero spectrum from samples has idim = lsat = erank =
/// rankme = pr = srank = 0, det = 0, logdet = −∞. ``statistics(_:threshold:convention:covarianceTrace:)``
/// gives NaN, with a note, only when there is no data (no samples), when the eigenvalues passed to
/// ``init(eigenvalues:samples:)`` are not finite, and for ``alphaReQ`` with fewer than three ranks to fit.
public struct Spectrum: Sendable {
    /// The eigenvalues, largest first, negatives clipped to 0 (non-finite inputs, if any, last).
    public let eigenvalues: [Double]
    /// D, the number of features (eigenvalues).
    public let features: Int
    /// N, the number of observations behind the covariance.
    public let samples: Int
    /// The trace of the covariance matrix, Σ Cᵢᵢ (from the matrix when built from one, otherwise the
    /// sum of the unclipped eigenvalues).
    public let trace: Double
    /// The most negative eigenvalue before clipping (0 when none was negative).
    public let mostNegativeEigenvalue: Double
    /// How many eigenvalues given to ``init(eigenvalues:samples:)`` were NaN or ±∞.
    public let nonFiniteCount: Int

    /// Cumulative shares within this much of δ count as reaching it. Sums of eigenvalues round, so for
    /// [99, 1] the share 99/100 may land a few ulps below 0.99; with this tolerance it counts as ≥ 0.99
    /// (paper idim 1) and not as < 0.99 (delve idim 0).
    public static let shareTolerance = 1e-12

    /// The spectrum of the symmetric `features × features` row-major covariance matrix, computed with
    /// LAPACK `dsyevd` (`SymmetricEigen` of DelveLinearAlgebra); `samples` is the observation count behind it.
    public init(covariance: [Double], features: Int, samples: Int) throws(SpectrumError) {
        var matrix = covariance
        try self.init(overwriting: &matrix, features: features, samples: samples)
    }

    /// The spectrum of the covariance matrix in `covariance`, solved in its own storage (no copy of the
    /// D×D matrix); `covariance` holds LAPACK's workspace afterwards. Only the upper triangle
    /// (row-major) and the diagonal are read, so the lower one may be left empty.
    public init(overwriting covariance: inout [Double], features: Int, samples: Int) throws(SpectrumError) {
        guard features >= 0, covariance.count == features * features else {
            throw .shape(features: features, count: covariance.count)
        }
        guard covariance.allSatisfy(\.isFinite) else { throw .nonFinite }
        var trace = 0.0
        for i in 0..<features { trace += covariance[i * features + i] }
        var raw: [Double] = []
        if features > 0 {
            do {
                raw = try SymmetricEigen.eigenvalues(overwriting: &covariance, dimension: features)
            } catch {
                throw .eigensolver(reason: error.description)
            }
        }
        self.init(raw: raw, samples: samples, trace: trace)
    }

    /// A spectrum from given eigenvalues in any order (for tests, and to recompute statistics with
    /// another threshold); they are sorted descending and negatives clipped to 0.
    public init(eigenvalues: [Double], samples: Int) {
        self.init(raw: eigenvalues, samples: samples, trace: eigenvalues.filter(\.isFinite).reduce(0, +))
    }

    private init(raw: [Double], samples: Int, trace: Double) {
        let finite = raw.filter(\.isFinite)
        eigenvalues = finite.map { max($0, 0) }.sorted(by: >) + raw.filter { !$0.isFinite }
        features = raw.count
        self.samples = samples
        self.trace = trace
        mostNegativeEigenvalue = min(finite.min() ?? 0, 0)
        nonFiniteCount = raw.count - finite.count
    }

    private var isFiniteSpectrum: Bool { nonFiniteCount == 0 }

    /// Σλ of the clipped eigenvalues (Delve's "diagonal trace", `dtrc`).
    public var clippedTrace: Double { eigenvalues.reduce(0, +) }

    /// The largest eigenvalue (0 for D = 0).
    public var largestEigenvalue: Double { eigenvalues.first ?? 0 }

    /// The intrinsic dimensionality at threshold δ: the paper's smallest k whose k largest eigenvalues
    /// explain ≥ δ of the variance, or Delve 0.1.50's count of k explaining strictly less (see
    /// ``IntrinsicDimensionalityConvention``). 0 when the variance is all zero; at most D.
    /// Shares within ``shareTolerance`` of δ count as reaching it.
    public func intrinsicDimensionality(threshold: Double = 0.99,
                                        convention: IntrinsicDimensionalityConvention = .paper) -> Int {
        let total = clippedTrace
        guard isFiniteSpectrum, total > 0, total.isFinite else { return 0 }
        var cumulative = 0.0
        var below = 0
        for (index, lambda) in eigenvalues.enumerated() {
            cumulative += lambda
            if cumulative / total >= threshold - Self.shareTolerance {
                return convention == .paper ? index + 1 : below
            }
            below += 1
        }
        return convention == .paper ? features : below
    }

    /// Layer saturation: ``intrinsicDimensionality(threshold:convention:)`` / D, in [0, 1] (0 when D = 0).
    public func saturation(threshold: Double = 0.99, convention: IntrinsicDimensionalityConvention = .paper) -> Double {
        guard isFiniteSpectrum else { return .nan }
        guard features > 0 else { return 0 }
        return Double(intrinsicDimensionality(threshold: threshold, convention: convention)) / Double(features)
    }

    /// The determinant Π λᵢ (generalized variance). It underflows to 0 (or overflows to ∞) for many
    /// features; use ``logDeterminant`` then.
    public var determinant: Double {
        guard isFiniteSpectrum else { return .nan }
        return eigenvalues.reduce(1, *)
    }

    /// log det = Σ log λᵢ; −∞ when any eigenvalue is 0 (a singular covariance).
    public var logDeterminant: Double {
        guard isFiniteSpectrum else { return .nan }
        var sum = 0.0
        for lambda in eigenvalues {
            guard lambda > 0 else { return -.infinity }
            sum += Foundation.log(lambda)
        }
        return sum
    }

    /// Effective rank exp(−Σ pᵢ log pᵢ), pᵢ = λᵢ/Σλ (Roy & Vetterli 2007; RankMe), 0 log 0 = 0.
    /// Between 1 and D for a non-zero spectrum; 0 when the variance is all zero.
    public var effectiveRank: Double {
        guard isFiniteSpectrum else { return .nan }
        let total = clippedTrace
        guard total > 0 else { return 0 }
        var entropy = 0.0
        for lambda in eigenvalues where lambda > 0 {
            let p = lambda / total
            entropy -= p * Foundation.log(p)
        }
        return Foundation.exp(entropy)
    }

    /// Participation ratio (Σλ)² / Σλ², computed on λ/λ_max so it cannot overflow; 0 when all λ = 0.
    public var participationRatio: Double {
        guard isFiniteSpectrum else { return .nan }
        let top = largestEigenvalue
        guard top > 0 else { return 0 }
        var sum = 0.0, squares = 0.0
        for lambda in eigenvalues {
            let r = lambda / top
            sum += r
            squares += r * r
        }
        return sum * sum / squares
    }

    /// ε of RankMe, as in Garrido et al. (2023).
    public static let rankMeEpsilon = 1e-7

    /// RankMe (Garrido et al., ICML 2023): exp(−Σₖ pₖ log pₖ) with pₖ = σₖ / Σⱼ σⱼ + ε, σₖ = √λₖ and
    /// ε = ``rankMeEpsilon``, summed over all D eigenvalues (zeros give pₖ = ε). The paper takes the
    /// singular values of the uncentred embedding matrix; here σₖ² are the eigenvalues of the centred
    /// covariance. 0 when the variance is all zero.
    public var rankMe: Double {
        guard isFiniteSpectrum else { return .nan }
        var total = 0.0
        for lambda in eigenvalues { total += lambda.squareRoot() }
        guard total > 0 else { return 0 }
        var entropy = 0.0
        for lambda in eigenvalues {
            let p = lambda.squareRoot() / total + Self.rankMeEpsilon
            entropy -= p * Foundation.log(p)
        }
        return Foundation.exp(entropy)
    }

    /// Eigenvalues at or below λ₁ times this are left out of the α-ReQ fit.
    public static let alphaReQRelativeFloor = 1e-12
    /// The α-ReQ fit needs at least this many ranks; with fewer, ``alphaReQ`` is NaN.
    public static let alphaReQMinimumRanks = 3

    /// The number of ranks k in the α-ReQ fit: eigenvalues λₖ > λ₁ · ``alphaReQRelativeFloor``.
    public var alphaReQRanks: Int {
        guard isFiniteSpectrum else { return 0 }
        let floor = largestEigenvalue * Self.alphaReQRelativeFloor
        return eigenvalues.prefix { $0 > floor && $0 > 0 }.count
    }

    /// α-ReQ (Agrawal et al., NeurIPS 2022): the decay exponent α of the least-squares line
    /// log λₖ = c − α log k over the ranks k = 1…K with λₖ > λ₁·1e-12 (``alphaReQRanks``). NaN when
    /// K < 3 (``Spectrum/notes(for:)`` says so) or the spectrum is not finite; 0 for a flat spectrum.
    public var alphaReQ: Double {
        let count = alphaReQRanks
        guard count >= Self.alphaReQMinimumRanks else { return .nan }
        var meanX = 0.0, meanY = 0.0
        for k in 0..<count {
            meanX += Foundation.log(Double(k + 1))
            meanY += Foundation.log(eigenvalues[k])
        }
        meanX /= Double(count)
        meanY /= Double(count)
        var sxy = 0.0, sxx = 0.0
        for k in 0..<count {
            let dx = Foundation.log(Double(k + 1)) - meanX
            sxy += dx * (Foundation.log(eigenvalues[k]) - meanY)
            sxx += dx * dx
        }
        return -sxy / sxx
    }

    /// Stable rank Σλ / λ_max; 0 when all λ = 0.
    public var stableRank: Double {
        guard isFiniteSpectrum else { return .nan }
        let top = largestEigenvalue
        guard top > 0 else { return 0 }
        return clippedTrace / top
    }
}

extension CovarianceAccumulator {
    /// The spectrum of ``covariance(unbiased:)`` with ``count`` samples.
    public func spectrum(unbiased: Bool = false) throws(SpectrumError) -> Spectrum {
        var matrix = covariance(unbiased: unbiased)
        return try Spectrum(overwriting: &matrix, features: features, samples: count)
    }
}
