import DelveData
import DelveNN
import Foundation

/// An exclusive lock on a run directory for as long as the training process lives (`flock` on
/// `<run>/.lock`), so that two `delve train` processes — a run and a `--resume` of it, or two runs with the
/// same `--out` — never write one directory at once. The kernel releases the lock when the process ends,
/// however it ends (`kill -9` included), so a stale lock cannot block a later resume.
final class RunLock {
    private let descriptor: Int32

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
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw .failed("\(directory.path): another delve process\(holder.isEmpty ? "" : " (pid \(holder))") is writing this run directory; wait for it to end or stop it first")
        }
        // Record the holder for the message above (informational only: the flock is the lock).
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
