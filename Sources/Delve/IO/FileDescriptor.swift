#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over POSIX file calls that retry on `EINTR` and report failures as ``NPYError``.
enum POSIXFile {
    /// The system's message for the current `errno`.
    static func lastErrorMessage() -> String {
        String(cString: strerror(errno))
    }

    /// Reads exactly `count` bytes at `offset` into `destination`; returns the number read, which is
    /// smaller than `count` only at the end of the file.
    static func readFully(_ fd: Int32, into destination: UnsafeMutableRawPointer, count: Int, offset: Int, path: String) throws(NPYError) -> Int {
        var done = 0
        while done < count {
            let result = pread(fd, destination + done, count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw NPYError(path: path, kind: .io("cannot read: \(lastErrorMessage())"))
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    /// Reads up to `count` bytes at `offset` (fewer only at the end of the file).
    static func readBytes(_ fd: Int32, count: Int, offset: Int, path: String) throws(NPYError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBufferPointer { (buffer) throws(NPYError) -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return try readFully(fd, into: base, count: count, offset: offset, path: path)
        }
        bytes.removeSubrange(got...)
        return bytes
    }

    /// Writes all `count` bytes from `source`.
    static func writeFully(_ fd: Int32, from source: UnsafeRawPointer, count: Int, path: String) throws(NPYError) {
        var done = 0
        while done < count {
            let result = write(fd, source + done, count - done)
            if result < 0 {
                if errno == EINTR { continue }
                throw NPYError(path: path, kind: .io("cannot write: \(lastErrorMessage())"))
            }
            done += result
        }
    }

    /// The size of the open file in bytes.
    static func size(_ fd: Int32, path: String) throws(NPYError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw NPYError(path: path, kind: .io("cannot stat: \(lastErrorMessage())"))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw NPYError(path: path, kind: .io("is a directory, not a .npy file"))
        }
        return Int(info.st_size)
    }
}
