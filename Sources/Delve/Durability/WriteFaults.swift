import Foundation

/// The crash-test hook of every file write of a run (`scripts/crash-tests.sh`). Each write calls
/// ``point(_:partial:)`` at its riskiest moment: a whole-file write after its temporary file is written
/// and before the rename, an append before its `write`. Two environment variables, read once:
///
/// - `DELVE_KILL_AT_WRITE=k`: the k-th point (1-based) kills the process with SIGKILL, after running its
///   `partial` (an append writes the first half of its bytes first, so the file ends in a cut record);
/// - `DELVE_WRITE_LOG=FILE`: every point appends its number and path to FILE (how a test finds out how
///   many points a run has and what each one writes).
///
/// Without them a point costs one lock and a counter increment.
public enum WriteFaults {
    private final class State: @unchecked Sendable {   // guarded by `lock`
        let lock = NSLock()
        var count = 0
        let killAt: Int?
        let log: Int32
        init() {
            let environment = ProcessInfo.processInfo.environment
            killAt = environment["DELVE_KILL_AT_WRITE"].flatMap { Int($0) }
            log = environment["DELVE_WRITE_LOG"].map { open($0, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) } ?? -1
        }
    }
    private static let state = State()

    /// A write point for the file at `path`; `partial` runs only when this point kills the process.
    public static func point(_ path: String, partial: () -> Void = {}) {
        let number = state.lock.withLock { () -> Int in
            state.count += 1
            return state.count
        }
        if state.log >= 0 {
            let line = Array("\(number) \(path)\n".utf8)
            _ = line.withUnsafeBytes { write(state.log, $0.baseAddress, $0.count) }
        }
        guard number == state.killAt else { return }
        partial()
        kill(getpid(), SIGKILL)
    }

    /// Appends `data` to `handle` with one `write`, through a write point for `path` that, when it kills,
    /// first writes half of `data` (a record cut by the kill). When the write fails (a full disk, a file
    /// size limit), the file is cut back to its length before the call and the error rethrown, so that
    /// it never ends in a partial record.
    public static func append(_ data: Data, to handle: FileHandle, path: String) throws {
        let start = try handle.offset()
        point(path) { try? handle.write(contentsOf: data.prefix(data.count / 2)) }
        do {
            try handle.write(contentsOf: data)
        } catch {
            try? handle.truncate(atOffset: start)
            throw error
        }
    }
}

/// The reason of a failed file operation in the system's words (`File too large`, `No space left on
/// device`, `Permission denied`, `Read-only file system`), from the POSIX error inside Foundation's.
public func fileErrorReason(_ error: any Error) -> String {
    var current: NSError? = error as NSError
    while let nsError = current {
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        current = nsError.userInfo[NSUnderlyingErrorKey] as? NSError
    }
    return error.localizedDescription
}
