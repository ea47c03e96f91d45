/// Why a safetensors file (or an in-memory safetensors byte buffer) could not be read or written.
///
/// Every case names the file (`"<memory>"` for a buffer that is not a file) and says what was expected.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened, read, written or renamed (the reason is the system's).
    case io(file: String, reason: String)
    /// The file is shorter than the 8-byte header length, or the header or the byte buffer is cut short.
    case truncated(file: String, detail: String)
    /// The 8-byte little-endian header length is larger than the file or than the 100 MB limit.
    case invalidHeaderLength(file: String, headerLength: UInt64, fileSize: Int)
    /// The header is not a UTF-8 JSON object of the expected form.
    case malformedHeader(file: String, detail: String)
    /// A tensor's `dtype` is not one this reader converts to `Float`.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A tensor's `data_offsets` are reversed, beyond the byte buffer, or do not span shape × dtype size.
    case invalidOffsets(file: String, tensor: String, detail: String)
    /// Two tensors share bytes, or bytes of the buffer belong to no tensor.
    case overlappingOrIncompleteBuffer(file: String, detail: String)
    /// A tensor given to the writer has a shape whose element count is not its value count,
    /// or a negative dimension, or a name the format reserves.
    case invalidTensor(tensor: String, detail: String)

    /// A weight file does not fit a model: tensor names missing from the file, names the model does not have,
    /// and shapes that differ ("name: model [4, 3], file [3, 4]"). Nothing was loaded.
    case modelMismatch(file: String, missing: [String], unexpected: [String], shapeMismatches: [String])

    /// The dtypes the reader accepts (all converted to `Float`); the writer writes `F32`.
    public static let supportedDTypes = ["F32", "F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"]

    /// A one-line message naming the file or tensor and what was expected.
    public var description: String {
        switch self {
        case let .io(file, reason):
            return "safetensors \(file): \(reason)"
        case let .truncated(file, detail):
            return "safetensors \(file): truncated: \(detail)"
        case let .invalidHeaderLength(file, length, size):
            return "safetensors \(file): header length \(length) is impossible for a file of \(size) bytes "
                + "(expected 2 ≤ length ≤ min(file size − 8, 100000000))"
        case let .malformedHeader(file, detail):
            return "safetensors \(file): malformed JSON header: \(detail)"
        case let .unsupportedDType(file, tensor, dtype):
            return "safetensors \(file): tensor '\(tensor)' has dtype '\(dtype)'; supported dtypes are "
                + SafetensorsError.supportedDTypes.joined(separator: ", ")
        case let .invalidOffsets(file, tensor, detail):
            return "safetensors \(file): tensor '\(tensor)': \(detail)"
        case let .overlappingOrIncompleteBuffer(file, detail):
            return "safetensors \(file): \(detail)"
        case let .modelMismatch(file, missing, unexpected, shapes):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing from the file: \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("not in the model: \(unexpected.joined(separator: ", "))") }
            if !shapes.isEmpty { parts.append("shape mismatches: \(shapes.joined(separator: "; "))") }
            return "safetensors \(file): the weights do not fit the model (nothing loaded); " + parts.joined(separator: "; ")
        case let .invalidTensor(tensor, detail):
            return "safetensors: tensor '\(tensor)': \(detail)"
        }
    }
}
