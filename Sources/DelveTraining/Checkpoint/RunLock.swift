import DelveData
import DelveNN
import Foundation

/// An exclusive lock on a run directory for as long as the training process lives (`flock` on
/// `<run>/.lock`), so that two `delve train` processes — a run and a `--resume` of it, or two runs with the
/// same `--out` — never write one directory at once. The kernel releases the lock when the process ends,
/// however it ends (`kill -9` included), so a stale lock cannot block a later resume.
public final class RunLock {
    private let descriptor: Int32

    /// Throws (as taking the lock would) when another process holds the lock of `directory`, without
    /// taking it and without changing the directory: a resume calls it before it reads the checkpoint,
    /// which a running process may be replacing at that moment.
    public static func checkNotHeld(directory: URL) throws(TrainingError) {
        let path = directory.appendingPathComponent(".lock").path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }   // no lock file: no process has trained here since locks exist
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { throw busy(directory: directory, lockPath: path) }
    }

    /// The error for a lock that another process holds, naming it when it recorded its pid.
    private static func busy(directory: URL, lockPath: String) -> TrainingError {
        let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return .failed("\(directory.path): another delve process\(holder.isEmpty ? "" : " (pid \(holder))") is writing this run directory; wait for it to end or stop it first")
    }

    /// Takes the lock of `directory` (created if needed), or throws naming the directory and the process
    /// that holds it.
    init(directory: URL) throws(TrainingError) {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(".lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .failed("\(path): cannot open the run directory's lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw RunLock.busy(directory: directory, lockPath: path)
        }
        // Record the holder for the message above (informational only: the flock is the lock).
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
