/// How the intrinsic dimensionality is counted from the cumulative explained-variance shares
/// sₖ = (λ₁ + … + λₖ) / Σλ of the descending eigenvalues.
///
/// With threshold δ (0.99 by default), for a spectrum that is not all zero:
/// `paper` = `delve` + 1, except that both are capped at D. Oracles at δ = 0.99 (paper / delve):
/// [1]×10 → 10 / 9; 0.5ⁱ (i = 0…9) → 7 / 6; [100, 1, 1, 1, 1] → 4 / 3; [5, 0, 0, 0] → 1 / 0;
/// [99, 1] → 1 / 0; [0.97, 0.011, 0.01, 0.009] → 3 / 2.
public enum IntrinsicDimensionalityConvention: String, Sendable, CaseIterable {
    /// The paper's definition: the smallest k with sₖ ≥ δ (the number of directions needed to explain δ).
    case paper
    /// Delve 0.1.50's implementation: the number of k with sₖ strictly below δ (its fallback branches
    /// never change that count), which is one less than the paper's value and can be 0.
    case delve
}
