/// Why a training run could not be set up, resumed or finished.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The configuration is invalid (`delve train` maps this to a usage error, exit code 64); the
    /// message names the option.
    case invalid(String)
    /// The run failed: data, model, checkpoint or output trouble (exit code 1); the message names the file.
    case failed(String)

    public var description: String {
        switch self {
        case let .invalid(message), let .failed(message): return message
        }
    }
}
