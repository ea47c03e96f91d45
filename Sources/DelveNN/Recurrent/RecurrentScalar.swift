import Foundation
import DelveLinearAlgebra

/// A scalar type the recurrent-cell kernels run in: `Float` for models, `Double` for gradient checks.
///
/// The kernels are generic over it so that the very code a model runs can be checked against finite
/// differences in double precision.
protocol RecurrentScalar: BinaryFloatingPoint {
    /// `C ← α·op(A)·op(B) + β·C`, row-major (BLAS `sgemm` / `dgemm`).
    static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// The hyperbolic tangent.
    static func tanh(_ x: Self) -> Self
    /// The logistic function σ(x) = 1 / (1 + e^(−x)).
    static func sigmoid(_ x: Self) -> Self
    /// `y[k] = σ(x[k])` for `k < count` (`x` and `y` may be the same array).
    static func sigmoid(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, count: Int)
    /// `y[k] = tanh(x[k])` for `k < count` (`x` and `y` may be the same array).
    static func tanh(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, count: Int)
}

extension Float: RecurrentScalar {
    @inline(__always)
    static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    @inline(__always) static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.expf(-x)) }
    /// Vectorized (``VectorMath``).
    @inline(__always) static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.sigmoid(x, y, count: count)
    }
    /// Vectorized (``VectorMath``).
    @inline(__always) static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.tanh(x, y, count: count)
    }
}

extension Double: RecurrentScalar {
    @inline(__always)
    static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    @inline(__always) static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
    /// Element by element with the C library (the reference precision of the gradient checks).
    @inline(__always) static func sigmoid(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int) {
        for k in 0..<count { y[k] = sigmoid(x[k]) }
    }
    /// Element by element with the C library.
    @inline(__always) static func tanh(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int) {
        for k in 0..<count { y[k] = tanh(x[k]) }
    }
}

/// The sizes of one recurrent layer run over a whole sequence, time-major.
///
/// Inputs are `steps × batch × input`, outputs `steps × batch × hidden`; weights are stored as
/// PyTorch stores them: `weight_ih` is `(gates·hidden) × input`, `weight_hh` is `(gates·hidden) × hidden`.
struct RecurrentShape: Equatable {
    /// Number of timesteps T (≥ 1).
    var steps: Int
    /// Batch size N.
    var batch: Int
    /// Input features I.
    var input: Int
    /// Hidden features H.
    var hidden: Int
    /// Sample ranges to split the recurrence into (``RecurrenceSplit``): by default the worker count
    /// (``ComputeSettings/workerCount``) when the shape is made, so a layer's backward pass splits the
    /// batch as its forward pass did; tests set it instead of the shared setting.
    var workers: Int = Parallel.workerCount

    /// Rows of all timesteps together: T·N.
    var rows: Int { steps * batch }
}

/// Column sums of a `rows × columns` row-major matrix, added into `sums` (`columns` values).
@inline(__always)
func accumulateColumnSums<S: RecurrentScalar>(_ matrix: UnsafePointer<S>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<S>) {
    for r in 0..<rows {
        let row = matrix + r * columns
        for c in 0..<columns { sums[c] += row[c] }
    }
}
