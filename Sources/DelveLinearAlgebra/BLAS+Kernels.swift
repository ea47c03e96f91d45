#if canImport(Accelerate)
import Accelerate
#else
import CDelveLinearAlgebra
#endif
import Foundation

/// Which CPU kernels OpenBLAS runs, and a fix for CPUs it does not recognize.
///
/// OpenBLAS (with `DYNAMIC_ARCH`, as Debian builds it) picks its kernels once, when the library is
/// loaded. On CPUs newer than the library (e.g. OpenBLAS 0.3.21 on a virtualized Sapphire Rapids) it
/// falls back to the SSE3 "Prescott" kernels, which are several times slower than the AVX2/AVX-512
/// ones the CPU supports. `relaunchWithFasterKernelsIfNeeded()` detects this and restarts the program
/// with `OPENBLAS_CORETYPE` set (the variable OpenBLAS documents for choosing the kernels).
public enum BLASKernels {
    /// The kernel family OpenBLAS chose ("Prescott", "Haswell", "SkylakeX", …; "Accelerate" on Apple).
    public static var coreName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #endif
    }

    /// Kernel families without AVX2 that OpenBLAS falls back to for CPUs it does not know.
    static let genericCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown", "sandybridge"]

    /// The best OpenBLAS core type this CPU supports according to /proc/cpuinfo, or `nil`.
    public static func supportedCoreType(cpuFlags: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(cpuFlags.contains) { return "Haswell" }
        return nil
    }

    /// The CPU feature flags of the first processor in /proc/cpuinfo (empty where unavailable).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The core type to force, or `nil` when OpenBLAS already uses suitable kernels, the user chose
    /// `OPENBLAS_CORETYPE`, or the CPU has no AVX2.
    public static func recommendedCoreType() -> String? {
        #if canImport(Accelerate)
        return nil
        #else
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil { return nil }
        guard genericCores.contains(coreName.lowercased()) else { return nil }
        return supportedCoreType(cpuFlags: cpuFlags())
        #endif
    }

    /// When OpenBLAS fell back to generic kernels on a CPU with AVX2/AVX-512, restarts the current
    /// executable (same arguments) with `OPENBLAS_CORETYPE` set; otherwise returns. Call it first
    /// thing in `main`. Does nothing on Apple platforms or when the restart fails.
    public static func relaunchWithFasterKernelsIfNeeded() {
        #if os(Linux)
        guard let core = recommendedCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: keep running with the kernels we have.
        #endif
    }
}
