import Foundation

/// A destination for the values the tracker computes: called once per epoch with an ``EpochRecord``
/// and once at the end with ``close()``; when a stopped run continues, ``resume(after:)`` comes first.
public protocol EpochWriter: AnyObject {
    /// Writes (or rewrites) the outputs for the epoch described by `record`.
    func write(_ record: EpochRecord) throws(WriterError)
    /// Called once, before any ``write(_:)``, when a run resumes: `completed` holds the records of the
    /// epochs the run has completed (oldest first, without covariance matrices). A writer whose files show
    /// the whole run (plots, report) redraws them from these, so that no file shows an epoch that was not
    /// completed; a writer of per-epoch files does what it needs (often nothing: its files were rewound
    /// when it was opened).
    func resume(after completed: [EpochRecord]) throws(WriterError)
    /// Finishes the outputs (final files, no more refresh); the writer is not used afterwards.
    func close() throws(WriterError)
}

/// Receives the progress of a training loop between epoch ends (the console's progress line).
/// Separate from ``EpochWriter``: progress is not an output file, and the tracker never sends it.
public protocol ProgressObserver: AnyObject {
    /// Called when the loop starts going through the batches of a phase of an epoch.
    func phaseStarted(epoch: Int, phase: Phase, totalBatches: Int?)
    /// Called after every batch with the running progress of the current phase.
    func batchFinished(_ progress: BatchProgress)
}

/// The progress of the current phase of an epoch, after a batch.
public struct BatchProgress: Sendable, Equatable {
    /// The epoch index.
    public var epoch: Int
    /// The phase the batches belong to.
    public var phase: Phase
    /// How many batches of this phase are done (1 after the first batch).
    public var batch: Int
    /// The number of batches in the phase, when known.
    public var totalBatches: Int?
    /// How many samples of this phase are done.
    public var samples: Int
    /// Seconds since the phase started.
    public var elapsed: Double
    /// The mean loss over the batches done so far, when the caller tracks one.
    public var runningLoss: Double?

    /// Creates a progress report.
    public init(
        epoch: Int, phase: Phase, batch: Int, totalBatches: Int?, samples: Int,
        elapsed: Double, runningLoss: Double? = nil
    ) {
        self.epoch = epoch
        self.phase = phase
        self.batch = batch
        self.totalBatches = totalBatches
        self.samples = samples
        self.elapsed = elapsed
        self.runningLoss = runningLoss
    }

    /// Samples per second so far (0 before any time has passed).
    public var samplesPerSecond: Double { elapsed > 0 ? Double(samples) / elapsed : 0 }

    /// Estimated seconds left in the phase: elapsed / batch × (total − batch), when the total is known.
    public var secondsLeft: Double? {
        guard let total = totalBatches, batch > 0 else { return nil }
        return elapsed / Double(batch) * Double(max(0, total - batch))
    }
}

/// Why a writer could not write or read its files.
public enum WriterError: Error, CustomStringConvertible, Equatable {
    /// A file or directory could not be created, written or read.
    case io(path: String, reason: String)
    /// An existing output file (read to resume or to regenerate the report) is not in the expected format.
    case malformed(path: String, line: Int, reason: String)
    /// An argument was out of range (e.g. an unknown writer name).
    case invalidArgument(String)
    /// The writer was used after ``EpochWriter/close()``.
    case closed(writer: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "\(path): \(reason)"
        case .malformed(let path, let line, let reason): return "\(path):\(line): \(reason)"
        case .invalidArgument(let message): return message
        case .closed(let writer): return "the \(writer) writer was used after close()"
        }
    }
}

/// Writes `data` to `url` atomically: into a temporary file next to it, then renamed over it, so that a
/// reader never sees a half-written file (a failed write removes the temporary file and leaves `url` as
/// it was). A ``WriteFaults`` point sits between the two.
package func writeAtomically(_ data: Data, to url: URL) throws(WriterError) {
    let temp = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    do {
        try writeFileContents(data, to: temp.path)
    } catch {
        unlink(temp.path)   // what a full disk let through
        throw .io(path: url.path, reason: "cannot write (temporary file \(temp.lastPathComponent)): \(error.reason)")
    }
    WriteFaults.point(url.path)
    if rename(temp.path, url.path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temp)
        throw .io(path: url.path, reason: "cannot replace file: \(reason)")
    }
}

/// Creates `url` and its parents if they do not exist.
package func createDirectory(_ url: URL) throws(WriterError) {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw .io(path: url.path, reason: "cannot create directory: \(error.localizedDescription)")
    }
}
