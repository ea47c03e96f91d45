import DelveLinearAlgebra

/// Matrix products through BLAS `sgemm`.
extension Tensor {
    /// `op(a) · op(b)` for matrices, where `op` transposes when asked (row-major, via `sgemm`).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        require(a.rank == 2 && b.rank == 2, "Tensor.matmul: expected matrices, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        require(k == kb, "Tensor.matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let out = Tensor.empty([m, n])
        gemm(transposeA, transposeB, m: m, n: n, k: k, a: a.storage.pointer, lda: a.shape[1],
             b: b.storage.pointer, ldb: b.shape[1], beta: 0, c: out.storage.pointer)
        return Tensor(shape: [m, n], storage: out.storage, parents: [a, b]) { g in
            // C = op(A)·op(B): dA = g·op(B)ᵀ (then transposed back when A was transposed), dB likewise.
            var da: Tensor? = nil, db: Tensor? = nil
            if a.requiresGrad {
                da = transposeA ? matmul(b, g, transposeA: transposeB, transposeB: true)
                                : matmul(g, b, transposeA: false, transposeB: !transposeB)
            }
            if b.requiresGrad {
                db = transposeB ? matmul(g, a, transposeA: true, transposeB: transposeA)
                                : matmul(a, g, transposeA: !transposeA, transposeB: false)
            }
            return [da, db]
        }
    }

    /// `C ← op(A)·op(B) + β·C`, row-major with the given leading dimensions; `C` has leading dimension `n`.
    @inline(__always)
    static func gemm(_ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { for i in 0..<m { (c + i * (ldc ?? n)).update(repeating: 0, count: n) } }
            return
        }
        BLAS.gemm(transposeA ? .transpose : .none, transposeB ? .transpose : .none, m: m, n: n, k: k,
                  alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc ?? n)
    }
}
