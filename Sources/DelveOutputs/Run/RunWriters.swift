import Delve

/// The writers of one run directory used as one: each epoch's record first joins the run's
/// ``RunHistory`` (shared by the writers that draw the whole run), then goes to every writer in order;
/// closing marks the run closed in `run.json`. Progress goes to the `ProgressObserver`s among them.
public final class RunWriters: EpochWriter, ProgressObserver {
    /// The run directory.
    public let run: RunDirectory
    /// The records of the run's epochs so far.
    public let history: RunHistory
    /// The writers, in the order they are called.
    public let writers: CompositeWriter
    /// The writers that show progress (the console).
    public let observers: [any ProgressObserver]

    /// Creates the writers `kinds` (plus `extra` instances, called after them) for `run`, and records the
    /// run's `configuration` and its layers' structural `ceilings` with status "running" in `run.json`.
    ///
    /// Resuming (`initialEpoch > 0`, `completed` = the records of the completed epochs, or when nil those
    /// of the run's `statistics.jsonl`): the files are reopened at the completed epochs and every writer's
    /// `EpochWriter.resume(after:)` runs at once, so that no file shows an epoch that was not completed.
    public init(_ kinds: [WriterKind], extra: [any EpochWriter] = [], run: RunDirectory,
                configuration: [RunInfo.Pair] = [], ceilings: StructuralCeilings = StructuralCeilings(),
                initialEpoch: Int = 0, completed: [EpochRecord]? = nil) throws(WriterError) {
        self.run = run
        try run.writeInfo(RunInfo(configuration: configuration, status: .running, ceilings: ceilings))
        var earlier: [EpochRecord] = []
        if initialEpoch > 0 {
            if let completed { earlier = completed } else { earlier = try run.readRecords() }
            earlier.removeAll { $0.epoch >= initialEpoch }
        }
        history = RunHistory(earlier)
        history.ceilings = ceilings
        var writers: [any EpochWriter] = []
        var observers: [any ProgressObserver] = []
        for kind in kinds {
            if kind == .console {
                let console = ConsoleWriter()
                writers.append(console)
                observers.append(console)
            } else {
                writers.append(try kind.makeWriter(run: run, initialEpoch: initialEpoch, history: history))
            }
        }
        if kinds.contains(.csv) { writers.append(CKAWriter(url: run.ckaCSVURL)) }   // cka.csv, only with CKA
        self.writers = CompositeWriter(writers + extra)
        self.observers = observers
        if initialEpoch > 0 { try self.writers.resume(after: history.records) }
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        history.append(record)
        try writers.write(record)
    }

    public func resume(after completed: [EpochRecord]) throws(WriterError) {
        history.replace(with: completed)
        try writers.resume(after: completed)
    }

    /// Closes every writer, then marks the run closed in `run.json`.
    public func close() throws(WriterError) {
        var failure: WriterError?
        do { try writers.close() } catch { failure = error }
        do { try run.markClosed() } catch { if failure == nil { failure = error } }
        if let failure { throw failure }
    }

    public func phaseStarted(epoch: Int, phase: Phase, totalBatches: Int?) {
        for observer in observers { observer.phaseStarted(epoch: epoch, phase: phase, totalBatches: totalBatches) }
    }

    public func batchFinished(_ progress: BatchProgress) {
        for observer in observers { observer.batchFinished(progress) }
    }
}

/// Creates the writers `kinds` for `run` as one ``RunWriters`` (see its initializer).
public func makeWriters(
    _ kinds: [WriterKind], extra: [any EpochWriter] = [], run: RunDirectory,
    configuration: [RunInfo.Pair] = [], ceilings: StructuralCeilings = StructuralCeilings(),
    initialEpoch: Int = 0, history: [EpochRecord]? = nil
) throws(WriterError) -> RunWriters {
    try RunWriters(kinds, extra: extra, run: run, configuration: configuration, ceilings: ceilings,
                   initialEpoch: initialEpoch, completed: history)
}
