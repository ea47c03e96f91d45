import Foundation

/// Why a training run could not be set up, resumed or finished.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The configuration is invalid (`delve train` maps this to a usage error, exit code 64); the
    /// message names the option.
    case invalid(String)
    /// The run failed: data, model, checkpoint or output trouble (exit code 1); the message names the file.
    case failed(String)
    /// Ctrl-C or SIGTERM stopped the run after its last complete checkpoint (exit code 128 + the signal).
    case interrupted(TrainingInterrupted)

    /// `error` as a training error: itself when it is one; an interruption; a model-zoo error (an unknown
    /// model or option) as ``invalid(_:)``; anything else (data, checkpoint, output and tracker errors,
    /// whose messages name the file or layer) as ``failed(_:)``.
    public init(_ error: any Error) {
        switch error {
        case let error as TrainingError: self = error
        case let error as TrainingInterrupted: self = .interrupted(error)
        case let error as ModelZooError: self = .invalid(error.description)
        default: self = .failed(String(describing: error))
        }
    }

    public var description: String {
        switch self {
        case let .invalid(message), let .failed(message): return message
        case let .interrupted(interruption): return interruption.description
        }
    }
}

/// A training run stopped by SIGINT or SIGTERM (see ``Interruption``).
public struct TrainingInterrupted: Error, CustomStringConvertible, Equatable {
    /// The signal number.
    public var signal: Int32
    /// The epoch that was abandoned (or not started); every earlier epoch is in the last checkpoint.
    public var epoch: Int
    /// The run directory.
    public var run: String

    /// The conventional exit status: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
    public var exitStatus: Int32 { 128 + signal }

    public var description: String {
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        return "interrupted by \(name): epoch \(epoch) was abandoned and nothing of it was written; "
            + "the epochs before it are saved in the last checkpoint"
    }
}
