import Foundation

/// Persistent threads that run the iterations of ``BLAS/concurrentPerform(iterations:job:)`` beside the
/// calling thread, without allocating: `DispatchQueue.concurrentPerform` allocates its bookkeeping and
/// the closure's boxes on every call, and the tracker's side-by-side flushes run per batch, where
/// steady-state recording allocates nothing.
///
/// One call runs at a time; a call that finds the threads busy (another thread's call, or a call from
/// inside an iteration) runs on `DispatchQueue.concurrentPerform` instead, so calls never wait for each
/// other. The threads start on first use, one fewer than the active processors, and then sleep on a
/// condition between calls.
final class HelperThreads: @unchecked Sendable {   // the variables are guarded by `condition`
    static let shared = HelperThreads(helpers: max(ProcessInfo.processInfo.activeProcessorCount - 1, 0))

    private let helpers: Int
    private let busy = NSLock()          // held by the call in progress
    private let condition = NSCondition()
    private var started = false
    private var job: (any ParallelJob)?
    private var iterations = 0
    private var next = 0                 // the next iteration to hand out
    private var finished = 0             // iterations done
    private var round = 0                // advances with every call, so that a helper sees new work

    private init(helpers: Int) { self.helpers = helpers }

    /// Runs `job.run(0)`, …, `job.run(iterations − 1)` on the calling thread and the helpers, without
    /// allocating; returns when every iteration is done.
    func perform(iterations count: Int, job: any ParallelJob) {
        guard count > 1, helpers > 0, busy.try() else {
            if count == 1 { job.run(0) } else if count > 1 { concurrentlyOnDispatch(count, job) }
            return
        }
        defer { busy.unlock() }
        condition.lock()
        if !started { startHelpers() }
        self.job = job
        iterations = count
        next = 0
        finished = 0
        round &+= 1
        condition.broadcast()
        runIterations()
        while finished < iterations { condition.wait() }
        self.job = nil
        condition.unlock()
    }

    /// The fallback: `DispatchQueue.concurrentPerform` (which allocates).
    private func concurrentlyOnDispatch(_ count: Int, _ job: any ParallelJob) {
        let shared = UncheckedSendable(job)   // the job is used only until this call returns
        DispatchQueue.concurrentPerform(iterations: count) { shared.value.run($0) }
    }

    /// Takes iterations until none is left; called and returns holding `condition`'s lock.
    private func runIterations() {
        while next < iterations, let job {
            let index = next
            next += 1
            condition.unlock()
            job.run(index)
            condition.lock()
            finished += 1
            if finished == iterations { condition.broadcast() }
        }
    }

    /// Starts the helper threads (holding `condition`'s lock).
    private func startHelpers() {
        started = true
        for _ in 0..<helpers {
            let thread = Thread { [self] in
                condition.lock()
                var seen = round
                while true {
                    while round == seen { condition.wait() }
                    seen = round
                    runIterations()
                }
            }
            thread.name = "delve-helper"
            thread.start()
        }
    }
}

/// Work split into independent iterations, for ``BLAS/concurrentPerform(iterations:job:)``: a class
/// the caller keeps, so that handing it over allocates nothing.
public protocol ParallelJob: AnyObject {
    /// Runs iteration `index` (called once per index, possibly on another thread).
    func run(_ index: Int)
}
