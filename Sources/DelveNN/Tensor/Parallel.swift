import Dispatch

/// How many threads DelveNN's own loops (im2col, pooling, activations) use; BLAS has its own setting
/// (`BLAS.setThreadCount`). Set it once at start-up, not while tensors are being computed.
public enum ComputeSettings {
    /// The number of chunks big non-BLAS loops are split into (default 2; 1 disables threading).
    nonisolated(unsafe) public static var workerCount = 2
}

/// Splits loops that are not BLAS calls over the available cores.
enum Parallel {
    @inline(__always) static var workerCount: Int { ComputeSettings.workerCount }

    /// Runs `body(range)` over `0..<count` split in contiguous chunks, in parallel when
    /// `count · costPerItem` is large enough to pay for the dispatch (about 2¹⁶ elementary operations)
    /// and `parallel` is true (false: the caller is already one of several workers).
    @inline(__always)
    static func forEachChunk(_ count: Int, costPerItem: Int = 1, parallel: Bool = true, _ body: (Range<Int>) -> Void) {
        let workers = parallel ? min(workerCount, count) : 1
        if workers <= 1 || count * costPerItem < 65_536 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let start = count * w / workers, end = count * (w + 1) / workers
                if start < end { box.value(start..<end) }
            }
        }
    }
}

/// Carries a non-`Sendable` value into a concurrent loop whose iterations touch disjoint memory.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
