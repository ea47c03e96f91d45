#if canImport(Accelerate)
import Accelerate
#else
import CDelveLinearAlgebra
#endif

/// Solves symmetric positive-definite systems A X = B with LAPACK's Cholesky driver `dposv`
/// (A = L Lᵀ, then two triangular solves; Golub & Van Loan, *Matrix Computations*, §4.2) — no inverse.
public enum CholeskySolve {
    /// X with A X = B for the symmetric positive-definite `n×n` row-major `matrix` A (only its upper
    /// triangle is read) and the `n×columns` row-major right-hand side B; X is `n×columns` row-major.
    ///
    /// Throws ``LinearAlgebraError/notSquare(count:dimension:)`` for a matrix of the wrong size,
    /// ``LinearAlgebraError/nonFinite`` for NaN or ±∞, and ``LinearAlgebraError/lapack(routine:info:)``
    /// with `info > 0` when A is not positive definite (the leading minor of order `info` is not).
    public static func solve(_ matrix: [Double], dimension n: Int, rightHandSide b: [Double], columns: Int)
        throws(LinearAlgebraError) -> [Double]
    {
        guard n >= 1, matrix.count == n * n else { throw .notSquare(count: matrix.count, dimension: n) }
        guard columns >= 1, b.count == n * columns else { throw .notSquare(count: b.count, dimension: n) }
        guard matrix.allSatisfy({ $0.isFinite }), b.allSatisfy({ $0.isFinite }) else { throw .nonFinite }
        // LAPACK's column-major view: the row-major upper triangle is the column-major lower triangle, so
        // A goes in as it is (LAPACKE's row-major entry would transpose it into a copy and back, which took
        // longer than the factorization at n = 512); only the small B is transposed, in and out.
        var a = matrix
        var x = [Double](repeating: 0, count: n * columns)
        for i in 0..<n { for j in 0..<columns { x[j * n + i] = b[i * columns + j] } }
        let info = runPosvLower(&a, &x, n: n, columns: columns)
        guard info == 0 else { throw .lapack(routine: "dposv", info: info) }
        var result = [Double](repeating: 0, count: n * columns)
        for i in 0..<n { for j in 0..<columns { result[i * columns + j] = x[j * n + i] } }
        return result
    }

    // `dposv` on the column-major lower triangle of `a` (n × n) and column-major `b` (n × columns).
    #if canImport(Accelerate)
    private static func runPosvLower(_ a: inout [Double], _ b: inout [Double], n: Int, columns: Int) -> Int {
        var uplo = Int8(UInt8(ascii: "L"))
        var nn = __CLPK_integer(n), nrhs = __CLPK_integer(columns)
        var lda = __CLPK_integer(n), ldb = __CLPK_integer(n), info = __CLPK_integer(0)
        dposv_(&uplo, &nn, &nrhs, &a, &lda, &b, &ldb, &info)
        return Int(info)
    }
    #else
    private static func runPosvLower(_ a: inout [Double], _ b: inout [Double], n: Int, columns: Int) -> Int {
        let info = a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                LAPACKE_dposv(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(columns), ap.baseAddress,
                              Int32(n), bp.baseAddress, Int32(n))
            }
        }
        return Int(info)
    }
    #endif
}
