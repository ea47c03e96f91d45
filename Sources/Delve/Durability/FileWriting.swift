import Foundation

/// Why a file could not be written: the path and the system's reason (`File too large`, `No space left
/// on device`, `Permission denied`, `Read-only file system`).
public struct FileWriteError: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    /// `strerror` of the failed call.
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}

/// Writes `data` as the whole content of the file at `path` (created or truncated) with POSIX calls, so
/// that a failure reports the system's reason; with `sync` the data is flushed to disk (`fsync`) before
/// the file is closed. On failure the file may hold part of the data: callers write temporary files.
public func writeFileContents(_ data: Data, to path: String, sync: Bool = false) throws(FileWriteError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    var failure: Int32 = 0
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            done += n
        }
    }
    if failure == 0, sync, fsync(fd) != 0 { failure = errno }
    if close(fd) != 0, failure == 0 { failure = errno }
    if failure != 0 { throw FileWriteError(path: path, reason: String(cString: strerror(failure))) }
}
