import Foundation

/// How long OpenBLAS's idle worker threads spin before they sleep.
///
/// After every multi-threaded call, each worker of OpenBLAS's pthreads build polls for new work,
/// calling `sched_yield`, for 2^28 CPU cycles (about 0.1 s) before it sleeps. During training the
/// next BLAS call usually comes sooner, but whatever else wants that core meanwhile shares it with
/// a busy thread: the tracker's side-by-side `syrk`s and eigenvalue solves, and other processes. The
/// variable `OPENBLAS_THREAD_TIMEOUT=n` (n in 4…30) makes the spin 2^n cycles, but OpenBLAS reads it
/// only when it loads. ``limit(log2Cycles:)`` sets it afterwards: it re-reads OpenBLAS's settings and
/// restarts its threads, which then spin for the new time.
public enum BLASIdleSpin {
    /// The spin `delve` and `delve-bench` use: 2^16 cycles (tens of microseconds), short enough that
    /// a worker idle after training's last call of a batch sleeps before the tracker's work starts.
    public static let recommendedLog2Cycles = 16

    /// Makes OpenBLAS's idle workers spin 2^`log2Cycles` cycles (clamped to 4…30) before they sleep,
    /// unless `OPENBLAS_THREAD_TIMEOUT` is already set (the user's choice wins). Returns whether the
    /// new setting is in effect. Nothing happens with Accelerate or a BLAS without these controls.
    ///
    /// Call it before any other thread uses BLAS (first thing in `main`): it stops and restarts
    /// OpenBLAS's threads, which must not happen while a BLAS call runs.
    @discardableResult
    public static func limit(log2Cycles: Int = recommendedLog2Cycles) -> Bool {
        #if os(Linux)
        let variable = "OPENBLAS_THREAD_TIMEOUT"
        guard ProcessInfo.processInfo.environment[variable] == nil,
              let readEnvironment = symbol("openblas_read_env", as: (@convention(c) () -> Void).self),
              let shutdown = symbol("blas_thread_shutdown_", as: (@convention(c) () -> Int32).self),
              let timeout = symbol("openblas_thread_timeout", as: (@convention(c) () -> Int32).self)
        else { return false }
        let value = min(max(log2Cycles, 4), 30)
        setenv(variable, String(value), 1)
        readEnvironment()
        guard timeout() == Int32(value) else { return false }
        _ = shutdown()   // the next multi-threaded call starts the workers with the new spin
        return true
        #else
        return false
        #endif
    }

    /// The spin OpenBLAS's settings hold, as log₂ cycles; nil when OpenBLAS uses its built-in default
    /// (2^28) or the BLAS has no such setting.
    public static var currentLog2Cycles: Int? {
        #if os(Linux)
        guard let timeout = symbol("openblas_thread_timeout", as: (@convention(c) () -> Int32).self) else { return nil }
        let value = Int(timeout())
        return value > 0 ? min(max(value, 4), 30) : nil
        #else
        return nil
        #endif
    }

    #if os(Linux)
    /// An OpenBLAS function looked up at run time (it is not in the CBLAS header, and a BLAS built
    /// without it — OpenMP threading, another vendor — simply lacks the symbol).
    private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }
    #endif
}
