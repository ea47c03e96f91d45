import Foundation
import Testing
@testable import DelveLinearAlgebra

@Suite("BLAS wrappers")
struct BLASTests {
    @Test("dgemm multiplies row-major matrices")
    func gemmDouble() {
        // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
        let a: [Double] = [1, 2, 3, 4, 5, 6]
        let b: [Double] = [7, 8, 9, 10, 11, 12]
        var c = [Double](repeating: 0, count: 4)
        BLAS.gemm(.none, .none, m: 2, n: 2, k: 3, alpha: 1, a: a, lda: 3, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
        #expect(c == [58, 64, 139, 154])
    }

    @Test("sgemm with transposes")
    func gemmFloatTransposed() {
        // Aᵀ·B with A 3×2 stored, B 3×2 stored: (2×3)(3×2).
        let a: [Float] = [1, 4, 2, 5, 3, 6]   // Aᵀ = [1 2 3; 4 5 6]
        let b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: 1, count: 4)
        BLAS.gemm(.transpose, .none, m: 2, n: 2, k: 3, alpha: 1, a: a, lda: 2, b: b, ldb: 2, beta: 1, c: &c, ldc: 2)
        #expect(c == [59, 65, 140, 155])
    }

    @Test("dsyrk computes AᵀA in the upper triangle")
    func syrkDouble() {
        let a: [Double] = [1, 2, 3, 4, 5, 6]  // 3 observations × 2 features
        var c = [Double](repeating: 0, count: 4)
        BLAS.syrk(.upper, .transpose, n: 2, k: 3, alpha: 1, a: a, lda: 2, beta: 0, c: &c, ldc: 2)
        #expect(c[0] == 35 && c[1] == 44 && c[3] == 56)
        #expect(c[2] == 0, "the lower triangle is not referenced")
    }

    @Test("gemv and axpy")
    func gemvAxpy() {
        let a: [Float] = [1, 2, 3, 4]
        let x: [Float] = [1, 1]
        var y: [Float] = [0, 0]
        BLAS.gemv(.none, m: 2, n: 2, alpha: 1, a: a, lda: 2, x: x, beta: 0, y: &y)
        #expect(y == [3, 7])
        BLAS.axpy(count: 2, alpha: 2, x: x, y: &y)
        #expect(y == [5, 9])
    }
}

@Suite("Symmetric eigendecomposition")
struct SymmetricEigenTests {
    @Test("eigenvalues come back in descending order")
    func descending() throws {
        // diag(1, 5, 3) permuted
        let m: [Double] = [1, 0, 0, 0, 5, 0, 0, 0, 3]
        let w = try SymmetricEigen.eigenvalues(of: m, dimension: 3)
        #expect(w == [5, 3, 1])
    }

    @Test("a 2×2 matrix with a known spectrum and eigenvectors")
    func knownTwoByTwo() throws {
        // [[2,1],[1,2]] has eigenvalues 3 (v = (1,1)/√2) and 1 (v = (1,-1)/√2).
        let (w, v) = try SymmetricEigen.decompose([2, 1, 1, 2], dimension: 2)
        #expect(abs(w[0] - 3) < 1e-12 && abs(w[1] - 1) < 1e-12)
        let s = 1 / 2.0.squareRoot()
        #expect(abs(abs(v[0]) - s) < 1e-12 && abs(abs(v[2]) - s) < 1e-12)
        #expect(abs(v[0] - v[2]) < 1e-12, "first eigenvector has equal components")
        #expect(abs(v[1] + v[3]) < 1e-12, "second eigenvector has opposite components")
    }

    @Test("reconstruction V·diag(w)·Vᵀ equals the matrix")
    func reconstruction() throws {
        let n = 6
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n {
            let x = Double((i * 7 + j * 3) % 11) - 5
            m[i * n + j] = x; m[j * n + i] = x
        } }
        let (w, v) = try SymmetricEigen.decompose(m, dimension: n)
        for i in 0..<n { for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += v[i * n + k] * w[k] * v[j * n + k] }
            #expect(abs(s - m[i * n + j]) < 1e-10)
        } }
        for k in 1..<n { #expect(w[k - 1] >= w[k]) }
    }

    @Test("only the row-major upper triangle is read")
    func upperTriangleOnly() throws {
        // Upper triangle of [[2,1,0],[1,2,0],[0,0,7]] (eigenvalues 7, 3, 1); junk below the diagonal.
        let m: [Double] = [2, 1, 0,
                           -40, 2, 0,
                           13, 99, 7]
        let w = try SymmetricEigen.eigenvalues(of: m, dimension: 3)
        #expect(zip(w, [7.0, 3, 1]).allSatisfy { abs($0 - $1) < 1e-12 })
        let (values, vectors) = try SymmetricEigen.decompose(m, dimension: 3)
        #expect(zip(values, [7.0, 3, 1]).allSatisfy { abs($0 - $1) < 1e-12 })
        // Column 0 is ±e₃; column 1 is ±(1,1,0)/√2.
        #expect(abs(abs(vectors[2 * 3 + 0]) - 1) < 1e-12)
        #expect(abs(vectors[0 * 3 + 1] - vectors[1 * 3 + 1]) < 1e-12 && abs(vectors[2 * 3 + 1]) < 1e-12)
    }

    @Test("bad input throws")
    func errors() {
        #expect(throws: LinearAlgebraError.notSquare(count: 3, dimension: 2)) {
            try SymmetricEigen.eigenvalues(of: [1, 2, 3], dimension: 2)
        }
        #expect(throws: LinearAlgebraError.nonFinite) {
            try SymmetricEigen.eigenvalues(of: [1, .nan, .nan, 1], dimension: 2)
        }
    }
}

@Suite("OpenBLAS kernel choice")
struct BLASKernelTests {
    @Test("core type from CPU flags")
    func coreTypeFromFlags() {
        #expect(BLASKernels.supportedCoreType(cpuFlags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]) == "SkylakeX")
        #expect(BLASKernels.supportedCoreType(cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
        #expect(BLASKernels.supportedCoreType(cpuFlags: ["sse3", "avx"]) == nil)
        #expect(!BLASKernels.coreName.isEmpty)
    }
}

@Suite("BLAS thread scope")
struct BLASThreadScopeTests {
    @Test("withSingleThread runs its body on one BLAS thread; overlapping scopes restore the count once")
    func singleThreadScope() async {
        // Other suites (the epoch-end solves, the split recurrences) may be inside a scope of their own
        // when this test starts or ends; the count to compare with is the one seen outside every scope.
        let before = SingleThreadScope.snapshot()
        let insideCounts = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var seen: [Int] = []
                    for _ in 0..<50 {
                        BLAS.withSingleThread {
                            seen.append(BLAS.threadCount)
                            BLAS.withSingleThread { seen.append(BLAS.threadCount) }   // nested
                        }
                    }
                    return seen
                }
            }
            var all: [Int] = []
            for await seen in group { all += seen }
            return all
        }
        #expect(insideCounts.count == 8 * 50 * 2)
        #expect(insideCounts.allSatisfy { $0 == 1 })
        // Restored once the last scope has left (checked when no other suite's scope was open at either end).
        let after = SingleThreadScope.snapshot()
        if before.depth == 0 && after.depth == 0 { #expect(after.threads == before.threads) }
    }

    @Test("concurrentPerform runs every part once, each inside a single-thread scope")
    func singleThreadScopeConcurrentPerform() {
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var parts: [Int] = []
            var scopes: [(depth: Int, threads: Int)] = []
        }
        let seen = Seen()
        BLAS.concurrentPerform(iterations: 6) { part in
            let scope = SingleThreadScope.snapshot()
            seen.lock.withLock {
                seen.parts.append(part)
                seen.scopes.append(scope)
            }
        }
        #expect(seen.parts.sorted() == Array(0..<6))
        #expect(seen.scopes.allSatisfy { $0.depth >= 1 && $0.threads == 1 })
    }
}

/// Counts each index a job runs, and the single-thread scope it ran in.
private final class CountingJob: ParallelJob, @unchecked Sendable {
    let lock = NSLock()
    var runs: [Int]
    var outsideScope = 0
    init(count: Int) { runs = Array(repeating: 0, count: count) }
    func run(_ index: Int) {
        let scope = SingleThreadScope.snapshot()
        lock.withLock {
            runs[index] += 1
            if scope.depth < 1 || scope.threads != 1 { outsideScope += 1 }
        }
    }
}

@Suite("Helper threads (concurrentPerform with a job)")
struct HelperThreadsTests {
    @Test("every index runs exactly once, for 2 to 9 iterations (more than the threads), each in a single-thread scope")
    func helperThreadsEveryIndexOnce() {
        for count in 2...9 {
            let job = CountingJob(count: count)
            for _ in 0..<20 { BLAS.concurrentPerform(iterations: count, job: job) }
            #expect(job.runs == Array(repeating: 20, count: count), "\(count) iterations")
            #expect(job.outsideScope == 0)
        }
    }

    @Test("calls from 4 threads at once (the busy ones fall back to Dispatch) and from inside an iteration all complete")
    func helperThreadsContended() {
        final class Nested: ParallelJob, @unchecked Sendable {
            let inner = CountingJob(count: 3)
            func run(_ index: Int) { BLAS.concurrentPerform(iterations: 3, job: inner) }
        }
        let jobs = (0..<4).map { _ in CountingJob(count: 5) }
        let nested = Nested()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for _ in 0..<50 { BLAS.concurrentPerform(iterations: 5, job: jobs[worker]) }
        }
        BLAS.concurrentPerform(iterations: 2, job: nested)
        for job in jobs { #expect(job.runs == Array(repeating: 50, count: 5)) }
        #expect(nested.inner.runs == [2, 2, 2])
    }
}

@Suite("Cholesky solve")
struct CholeskySolveTests {
    @Test("dposv solves A X = B for a symmetric positive-definite A, reading only the upper triangle")
    func solve() throws {
        // A = [4 2 0; 2 5 1; 0 1 3], X = [1 −1; 2 0; −3 1] ⇒ B = A X = [8 −4; 9 −1; −7 3].
        let a: [Double] = [4, 2, 0, 99, 5, 1, -99, 99, 3]   // lower triangle: garbage, not read
        let b: [Double] = [8, -4, 9, -1, -7, 3]
        let x = try CholeskySolve.solve(a, dimension: 3, rightHandSide: b, columns: 2)
        let expected: [Double] = [1, -1, 2, 0, -3, 1]
        for i in 0..<6 { #expect(abs(x[i] - expected[i]) <= 1e-14) }
    }

    @Test("a 67 × 67 Gram matrix with 3 right-hand sides: A X reproduces B, the lower triangle unread")
    func solveLarger() throws {
        let n = 67, k = 3
        var state: UInt64 = 7
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        let rows = (0..<(2 * n * n)).map { _ in next() }
        var full = [Double](repeating: 0, count: n * n)   // the Gram matrix of 2n random rows: positive definite
        for i in 0..<n {
            for j in i..<n {
                full[i * n + j] = (0..<(2 * n)).reduce(0.0) { $0 + rows[$1 * n + i] * rows[$1 * n + j] }
                full[j * n + i] = full[i * n + j]
            }
        }
        var upperOnly = full
        for i in 0..<n { for j in 0..<i { upperOnly[i * n + j] = 1e3 } }   // a wrong lower triangle, not read
        let b = (0..<(n * k)).map { _ in next() }
        let x = try CholeskySolve.solve(upperOnly, dimension: n, rightHandSide: b, columns: k)
        for i in 0..<n {
            for c in 0..<k {
                let ax = (0..<n).reduce(0.0) { $0 + full[i * n + $1] * x[$1 * k + c] }
                #expect(abs(ax - b[i * k + c]) <= 1e-10, "row \(i), column \(c)")
            }
        }
    }

    @Test("a matrix that is not positive definite, of the wrong size or not finite is an error")
    func errors() {
        #expect(throws: LinearAlgebraError.lapack(routine: "dposv", info: 2)) {
            try CholeskySolve.solve([1, 2, 2, 1], dimension: 2, rightHandSide: [1, 1], columns: 1)
        }
        #expect(throws: LinearAlgebraError.notSquare(count: 3, dimension: 2)) {
            try CholeskySolve.solve([1, 0, 1], dimension: 2, rightHandSide: [1, 1], columns: 1)
        }
        #expect(throws: LinearAlgebraError.nonFinite) {
            try CholeskySolve.solve([1, 0, 0, .nan], dimension: 2, rightHandSide: [1, 1], columns: 1)
        }
    }
}
