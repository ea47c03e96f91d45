/// Why saved training state (optimizer state, random generator states) could not be written, read or
/// restored. Every case names the file (`"<memory>"` for state that never was one) and what was expected.
public enum TrainingStateError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The state file could not be read or written, or is not a valid safetensors file.
    case file(SafetensorsError)
    /// The file is readable but its content is not valid state (a missing or unparsable entry).
    case malformed(source: String, reason: String)
    /// The state is valid but belongs to a different optimizer or model (kind, hyper-parameters,
    /// parameter count or shapes, generator paths).
    case mismatch(source: String, reason: String)

    /// A one-line message naming the file and what was expected.
    public var description: String {
        switch self {
        case let .file(error): return error.description
        case let .malformed(source, reason): return "\(source): malformed training state: \(reason)"
        case let .mismatch(source, reason): return "\(source): the saved state does not fit: \(reason)"
        }
    }
}
