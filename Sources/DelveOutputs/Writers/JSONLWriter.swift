import Delve
import Foundation

/// Writes `statistics.jsonl`: one JSON object per epoch (`EpochRecord.jsonValue`), each appended as a
/// whole line with a single `write` call, so that a reader (`tail -f`, `delve report`) sees complete lines.
public final class JSONLWriter: EpochWriter {
    /// The JSONL file.
    public let url: URL
    private var handle: FileHandle?

    /// Creates the writer. With `initialEpoch > 0` (resuming) the lines of epochs below `initialEpoch`
    /// are kept and new epochs appended; otherwise the file starts empty.
    public init(url: URL, initialEpoch: Int = 0) throws(WriterError) {
        self.url = url
        try createDirectory(url.deletingLastPathComponent())
        var kept = ""
        if initialEpoch > 0, let data = FileManager.default.contents(atPath: url.path) {
            for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
                let json = try JSONValue.parse(String(line), source: url.path, line: i + 1)
                guard let epoch = json["epoch"]?.doubleValue else {
                    throw .malformed(path: url.path, line: i + 1, reason: "line has no \"epoch\"")
                }
                if Int(epoch) < initialEpoch { kept += line + "\n" }
            }
        }
        try writeAtomically(Data(kept.utf8), to: url)
        do {
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            self.handle = handle
        } catch {
            throw .io(path: url.path, reason: "cannot open for appending: \(error.localizedDescription)")
        }
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        guard let handle else { throw .closed(writer: "jsonl") }
        do {
            try WriteFaults.append(Data((record.jsonValue.text + "\n").utf8), to: handle, path: url.path)
        } catch {
            throw .io(path: url.path, reason: "cannot append: \(fileErrorReason(error))")
        }
    }

    /// Nothing to redo: the file was cut back to the completed epochs when the writer was opened with `initialEpoch`.
    public func resume(after completed: [EpochRecord]) throws(WriterError) {}

    public func close() throws(WriterError) {
        guard let handle else { return }
        self.handle = nil
        do { try handle.close() } catch { throw .io(path: url.path, reason: "cannot close: \(error.localizedDescription)") }
    }
}
