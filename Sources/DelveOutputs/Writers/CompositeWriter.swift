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
        try each { (writer) throws(WriterError) in try writer.write(record) }
    }

    public func resume(after completed: [EpochRecord]) throws(WriterError) {
        try each { (writer) throws(WriterError) in try writer.resume(after: completed) }
    }

    public func close() throws(WriterError) {
        try each { (writer) throws(WriterError) in try writer.close() }
    }

    /// Calls `body` on every writer, in order; rethrows the first error after all were called.
    private func each(_ body: (any EpochWriter) throws(WriterError) -> Void) throws(WriterError) {
        var first: WriterError?
        for writer in writers {
            do { try body(writer) } catch { if first == nil { first = error } }
        }
        if let first { throw first }
    }
}
