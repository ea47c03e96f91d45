/// Errors of the ``SaturationTracker``. Each names the layer, the phase and the batch.
public indirect enum TrackerError: Error, CustomStringConvertible {
    /// A batch was rejected (NaN/∞, changed width, bad shape); `reason` says why.
    case badBatch(layer: String, phase: Phase, batch: Int, reason: String)
    /// Batches recorded through hooks were rejected during the epoch that just ended. The epoch
    /// was still computed and written without them.
    case rejectedBatches([TrackerError])
    /// An option is out of range.
    case invalidOption(String)
    /// A writer failed; the statistics of the epoch were computed and the other writers ran. `writer` is the
    /// writer's type, for programs; the description gives only `reason`, which names the file.
    case writerFailed(writer: String, reason: String)
    /// A saved tracker state (``TrackerState``) could not be written, read or restored; `path` names the file.
    case state(path: String, reason: String)
    /// Linear CKA between layers (``CKAOptions``) could not be accumulated: too much memory, a bad shape.
    case cka(String)
    /// An epoch end that ran in the background (``SaturationTracker/endEpochInBackground()``) failed with
    /// `failure`; its record was computed and given to every writer.
    case backgroundEpoch(epoch: Int, failure: TrackerError)

    public var description: String {
        switch self {
        case let .badBatch(layer, phase, batch, reason):
            return "layer '\(layer)' (\(phase.rawValue)), batch \(batch): \(reason)"
        case let .rejectedBatches(errors):
            let shown = errors.prefix(5).map { "  - \($0)" }.joined(separator: "\n")
            let more = errors.count > 5 ? "\n  … and \(errors.count - 5) more" : ""
            return "\(errors.count) batch(es) were rejected during the epoch:\n\(shown)\(more)"
        case let .invalidOption(message):
            return "invalid tracker option: \(message)"
        case let .writerFailed(_, reason):
            return "could not write the outputs: \(reason)"
        case let .state(path, reason):
            return "tracker state \(path): \(reason)"
        case let .cka(reason):
            return reason
        case let .backgroundEpoch(epoch, failure):
            return "epoch \(epoch) (ended in the background): \(failure)"
        }
    }
}
