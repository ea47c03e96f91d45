/// An error reading or writing a `.npy` file. Every error names the file it is about.
public struct NPYError: Error, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The file could not be opened, created, read, written or renamed (the system's message).
        case io(String)
        /// The file does not start with the 6-byte magic string `\x93NUMPY`.
        case badMagic
        /// The format version is not 1.0, 2.0 or 3.0.
        case unsupportedVersion(major: Int, minor: Int)
        /// The header's Python dictionary could not be parsed or lacks a required key (the reason).
        case malformedHeader(String)
        /// The element type is not little-endian float32 (`<f4`) or float64 (`<f8`).
        case unsupportedDType(String)
        /// The element type is big-endian (`>f4`, `>f8`); only little-endian data is supported.
        case bigEndian(String)
        /// The array is stored in Fortran (column-major) order; only C order is supported.
        case fortranOrder
        /// The header claims to be longer than the file.
        case headerBeyondFile(headerEnd: Int, fileSize: Int)
        /// A size computed from the shape overflows or is impossible (the offending shape).
        case sizeOverflow(shape: [Int])
        /// The file holds fewer data bytes than its shape requires.
        case truncated(expectedBytes: Int, actualBytes: Int)
        /// The values given to a writer do not match the declared shape.
        case shapeMismatch(shape: [Int], expectedElements: Int, actualElements: Int)
        /// A buffer given to a reader cannot hold the requested rows.
        case bufferTooSmall(needed: Int, capacity: Int)
    }

    /// The file the error is about.
    public let path: String
    /// What went wrong.
    public let kind: Kind

    /// Creates an error about `path`.
    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        "\(path): " + reason
    }

    /// The message without the file name.
    public var reason: String {
        switch kind {
        case .io(let message):
            return message
        case .badMagic:
            return "not a .npy file (it does not start with the magic string \\x93NUMPY)"
        case .unsupportedVersion(let major, let minor):
            return "unsupported .npy format version \(major).\(minor); supported are 1.0, 2.0 and 3.0"
        case .malformedHeader(let why):
            return "malformed .npy header: \(why)"
        case .unsupportedDType(let descr):
            return "unsupported element type '\(descr)'; supported are little-endian float32 ('<f4') and float64 ('<f8')"
        case .bigEndian(let descr):
            return "big-endian element type '\(descr)' is not supported; save the array as little-endian ('<f4' or '<f8')"
        case .fortranOrder:
            return "the array is stored in Fortran order; only C order is supported (save np.ascontiguousarray(a))"
        case .headerBeyondFile(let headerEnd, let fileSize):
            return "the header claims to end at byte \(headerEnd) but the file has only \(fileSize) bytes"
        case .sizeOverflow(let shape):
            return "the shape \(shape) is impossible (negative or its byte size overflows)"
        case .truncated(let expected, let actual):
            return "truncated data: the shape needs \(expected) bytes of data but the file has \(actual)"
        case .shapeMismatch(let shape, let expected, let actual):
            return "shape \(shape) needs \(expected) values but \(actual) were given"
        case .bufferTooSmall(let needed, let capacity):
            return "the buffer holds \(capacity) values but \(needed) are needed"
        }
    }
}
