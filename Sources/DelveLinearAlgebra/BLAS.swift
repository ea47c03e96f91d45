import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CDelveLinearAlgebra
#endif

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    /// Use the matrix as stored.
    case none
    /// Use the transpose of the stored matrix.
    case transpose

    @usableFromInline var cblas: CBLAS_TRANSPOSE {
        switch self {
        case .none: return CblasNoTrans
        case .transpose: return CblasTrans
        }
    }
}

/// Which triangle of a symmetric matrix is read or written.
public enum Triangle: Sendable {
    /// The upper triangle (row ≤ column, in row-major order).
    case upper
    /// The lower triangle (row ≥ column, in row-major order).
    case lower

    @usableFromInline var cblas: CBLAS_UPLO {
        switch self {
        case .upper: return CblasUpper
        case .lower: return CblasLower
        }
    }
}

/// Thin, row-major wrappers around the few BLAS routines the project needs.
///
/// Every matrix is row-major with an explicit leading dimension (the distance between
/// the starts of two consecutive rows), as in the CBLAS interface. Sizes are `Int`;
/// they are narrowed to the BLAS integer type here, in one place.
public enum BLAS {
    /// General matrix product `C ← α·op(A)·op(B) + β·C` in double precision (`dgemm`).
    ///
    /// `op(A)` is `m×k`, `op(B)` is `k×n`, `C` is `m×n`.
    @inlinable
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, transA.cblas, transB.cblas, blasInt(m), blasInt(n), blasInt(k),
                    alpha, a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
    }

    /// General matrix product `C ← α·op(A)·op(B) + β·C` in single precision (`sgemm`).
    @inlinable
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, blasInt(m), blasInt(n), blasInt(k),
                    alpha, a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
    }

    /// Symmetric rank-k update `C ← α·op(A)·op(A)ᵀ + β·C` in double precision (`dsyrk`).
    ///
    /// `C` is `n×n`; only `triangle` is referenced and updated. With `trans == .transpose`,
    /// `A` is stored `k×n` and the update is `AᵀA` — the co-moment of `k` observations of
    /// `n` features stored one observation per row.
    @inlinable
    public static func syrk(
        _ triangle: Triangle, _ trans: Transpose, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dsyrk(CblasRowMajor, triangle.cblas, trans.cblas, blasInt(n), blasInt(k),
                    alpha, a, blasInt(lda), beta, c, blasInt(ldc))
    }

    /// Symmetric rank-k update `C ← α·op(A)·op(A)ᵀ + β·C` in single precision (`ssyrk`).
    @inlinable
    public static func syrk(
        _ triangle: Triangle, _ trans: Transpose, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_ssyrk(CblasRowMajor, triangle.cblas, trans.cblas, blasInt(n), blasInt(k),
                    alpha, a, blasInt(lda), beta, c, blasInt(ldc))
    }

    /// Matrix–vector product `y ← α·op(A)·x + β·y` in single precision (`sgemv`); `A` is `m×n`.
    @inlinable
    public static func gemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incx: Int = 1, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int = 1
    ) {
        cblas_sgemv(CblasRowMajor, trans.cblas, blasInt(m), blasInt(n), alpha, a, blasInt(lda),
                    x, blasInt(incx), beta, y, blasInt(incy))
    }

    /// Matrix–vector product `y ← α·op(A)·x + β·y` in double precision (`dgemv`); `A` is `m×n`.
    @inlinable
    public static func gemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, incx: Int = 1, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int = 1
    ) {
        cblas_dgemv(CblasRowMajor, trans.cblas, blasInt(m), blasInt(n), alpha, a, blasInt(lda),
                    x, blasInt(incx), beta, y, blasInt(incy))
    }

    /// `y ← α·x + y` in single precision (`saxpy`).
    @inlinable
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, incx: Int = 1,
                            y: UnsafeMutablePointer<Float>, incy: Int = 1) {
        cblas_saxpy(blasInt(count), alpha, x, blasInt(incx), y, blasInt(incy))
    }

    /// `y ← α·x + y` in double precision (`daxpy`).
    @inlinable
    public static func axpy(count: Int, alpha: Double, x: UnsafePointer<Double>, incx: Int = 1,
                            y: UnsafeMutablePointer<Double>, incy: Int = 1) {
        cblas_daxpy(blasInt(count), alpha, x, blasInt(incx), y, blasInt(incy))
    }

    /// The number of threads BLAS uses for one call (OpenBLAS); 1 where it cannot be asked.
    public static var threadCount: Int {
        #if canImport(Accelerate)
        return 1
        #else
        return Int(openblas_get_num_threads())
        #endif
    }

    /// Sets the number of threads BLAS uses for one call (OpenBLAS; ignored with Accelerate).
    public static func setThreadCount(_ count: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(max(1, count)))
        #endif
    }

    /// Runs `body` with BLAS set to one thread per call, then restores the previous count.
    ///
    /// The setting is process-wide: BLAS calls made by other threads meanwhile use it too. It serves
    /// work that the caller splits across threads itself (several independent LAPACK solves run faster
    /// side by side on one BLAS thread each than one after another on all of them). Overlapping uses
    /// from several threads nest: the first to enter saves the count, the last to leave restores it.
    public static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
        SingleThreadScope.enter()
        defer { SingleThreadScope.leave() }
        return try body()
    }

    /// Runs `body(0)`, …, `body(iterations − 1)` side by side (`DispatchQueue.concurrentPerform`) inside
    /// ``withSingleThread(_:)``: for work the caller splits across threads itself, so that each part's
    /// BLAS calls run on its own thread instead of every part waking OpenBLAS's shared thread pool
    /// (parts × pool threads busy on the same cores). Returns when every part is done.
    public static func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let part = UncheckedSendable(body)   // `body` runs only until this call returns
            withSingleThread {
                DispatchQueue.concurrentPerform(iterations: iterations) { part.value($0) }
            }
        }
    }

    /// ``concurrentPerform(iterations:_:)`` for a job object the caller keeps, run by persistent helper
    /// threads beside the calling thread: allocates nothing (`DispatchQueue.concurrentPerform` when
    /// the helpers are busy with another call).
    public static func concurrentPerform(iterations: Int, job: any ParallelJob) {
        withSingleThread {
            HelperThreads.shared.perform(iterations: iterations, job: job)
        }
    }
}

/// A value handed to other threads for the length of one call (``BLAS/concurrentPerform(iterations:_:)``,
/// ``HelperThreads``' Dispatch fallback).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

#if canImport(Accelerate)
@usableFromInline typealias BLASInt = Int32
#else
@usableFromInline typealias BLASInt = blasint
#endif


/// The nesting count and saved thread count of ``BLAS/withSingleThread(_:)``.
enum SingleThreadScope {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var depth = 0
    nonisolated(unsafe) private static var saved = 1

    static func enter() {
        lock.lock()
        defer { lock.unlock() }
        if depth == 0 {
            saved = BLAS.threadCount
            BLAS.setThreadCount(1)
        }
        depth += 1
    }

    /// The nesting depth and BLAS thread count, read together (for tests).
    static func snapshot() -> (depth: Int, threads: Int) {
        lock.withLock { (depth, BLAS.threadCount) }
    }

    static func leave() {
        lock.lock()
        defer { lock.unlock() }
        depth -= 1
        if depth == 0 { BLAS.setThreadCount(saved) }
    }

    /// Runs `body` with the thread count outside every scope raised to at least `count`, then restores it
    /// (for tests). Scopes open meanwhile keep their one thread: an open scope's saved count changes
    /// instead, so that it restores the raised count when it leaves. Not for overlapping use.
    static func withBaseThreadCount<R>(atLeast count: Int, _ body: () throws -> R) rethrows -> R {
        func setBase(_ update: (Int) -> Int) -> Int {
            lock.withLock {
                let base = depth == 0 ? BLAS.threadCount : saved
                if depth == 0 { BLAS.setThreadCount(update(base)) } else { saved = update(base) }
                return base
            }
        }
        let original = setBase { max($0, count) }
        defer { _ = setBase { _ in original } }
        return try body()
    }
}

/// Narrows a size to the BLAS integer type; a size that does not fit is a programming error.
@inlinable
func blasInt(_ value: Int) -> BLASInt {
    precondition(value >= 0 && value <= Int(BLASInt.max), "BLAS size \(value) is out of range")
    return BLASInt(value)
}
