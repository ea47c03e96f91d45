import DelveData
import DelveNN
/// Errors of `ModelZoo.make` and `ModelOptions(parsing:)`.
public enum ModelZooError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The model name is not one of `ModelZoo.names`.
    case unknownModel(name: String, valid: [String])
    /// An option is unknown or has an invalid value.
    case invalidOption(key: String, message: String)
    /// The option exists but the model does not take it (another model reads it); `valid` are the
    /// model's options.
    case inapplicableOption(key: String, model: String, valid: [String])
    /// The model cannot take inputs of this shape.
    case unsupportedInputShape(model: String, shape: [Int], message: String)

    /// A one-line, human-readable message.
    public var description: String {
        switch self {
        case let .unknownModel(name, valid):
            return "unknown model '\(name)'; valid models: \(valid.joined(separator: ", "))"
        case let .invalidOption(key, message):
            return "model option '\(key)': \(message)"
        case let .inapplicableOption(key, model, valid):
            return "model option '\(key)' does not apply to model '\(model)'; its options: \(valid.joined(separator: ", "))"
        case let .unsupportedInputShape(model, shape, message):
            return "model '\(model)' cannot take input shape \(shape): \(message)"
        }
    }
}
