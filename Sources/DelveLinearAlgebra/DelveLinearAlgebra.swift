/// The project's only door to C linear algebra.
///
/// `LinearAlgebra` wraps the handful of BLAS and LAPACK routines that the statistics engine
/// and the neural network framework need — `gemm`, `syrk`, `gemv`, `axpy` in single and double
/// precision, and the symmetric eigensolver `dsyevd` — with row-major, `Int`-sized Swift
/// signatures. On Linux it links OpenBLAS and LAPACKE (Debian's `libopenblas-dev`,
/// `liblapacke-dev`); on Apple platforms it uses Accelerate.
public enum LinearAlgebraInfo {
    /// A short description of the backend, for logs and benchmark output.
    public static var backend: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        return "OpenBLAS + LAPACKE (\(BLAS.threadCount) threads)"
        #endif
    }
}
