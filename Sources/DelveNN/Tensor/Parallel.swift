import Dispatch

/// Splits loops that are not BLAS calls over the available cores.
enum Parallel {
    /// The number of chunks big loops are split into.
    nonisolated(unsafe) static var workerCount = 2

    /// Runs `body(range)` over `0..<count` split in contiguous chunks, in parallel when
    /// `count · costPerItem` is large enough to pay for the dispatch (about 2¹⁶ elementary operations).
    @inline(__always)
    static func forEachChunk(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(workerCount, count)
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
