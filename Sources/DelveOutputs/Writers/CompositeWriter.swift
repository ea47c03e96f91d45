import Delve

/// Several writers used as one: every call goes to each of them, in order.
///
/// A failing writer does not stop the others; the first error is rethrown after all were called.
public final class CompositeWriter: EpochWriter {
    /// The writers, in the order they are called.
    public private(set) var writers: [any EpochWriter]

    /// Combines `writers`.
    public init(_ writers: [any EpochWriter]) {
        self.writers = writers
    }

    /// Adds a writer at the end.
    public func append(_ writer: any EpochWriter) {
        writers.append(writer)
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        var first: WriterError?
        for writer in writers {
            do { try writer.write(record) } catch { if first == nil { first = error } }
        }
        if let first { throw first }
    }

    public func close() throws(WriterError) {
        var first: WriterError?
        for writer in writers {
            do { try writer.close() } catch { if first == nil { first = error } }
        }
        if let first { throw first }
    }

    public func phaseStarted(epoch: Int, phase: Phase, totalBatches: Int?) {
        for writer in writers { writer.phaseStarted(epoch: epoch, phase: phase, totalBatches: totalBatches) }
    }

    public func batchFinished(_ progress: BatchProgress) {
        for writer in writers { writer.batchFinished(progress) }
    }
}
