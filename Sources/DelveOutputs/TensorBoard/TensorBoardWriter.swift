import Delve
import Foundation

/// Writes a TensorBoard event file `events.out.tfevents.<seconds>.<host>` into the run directory, natively
/// (TFRecord framing, hand-encoded protocol buffers; no TensorFlow needed). Per epoch, all with step = epoch:
/// every scalar of `EpochRecord.keyedValues` under its output key (`train-saturation_fc1`, `test-accuracy`),
/// a histogram of each layer's eigenvalue spectrum (`<phase>-eigenvalues_<layer>`), and, when `images` is
/// on, the standard plots as PNG images (`plots/<name>`). `tensorboard --logdir <runs root>` shows them.
public final class TensorBoardWriter: EpochWriter {
    /// The event file.
    public let url: URL
    private var handle: FileHandle?
    private let clock: () -> Double
    private let images: Bool
    /// The run's records, for the plot images (shared with the plot and report writers when given).
    private let history: RunHistory
    private let ownsHistory: Bool

    /// Creates the event file in `directory` and writes the `file_version` event. `clock` gives the wall
    /// time (seconds since 1970); `images` adds the plots as images, drawn from `history` (shared with the
    /// other writers of the run and filled by its owner, ``RunWriters``) or, without one, from a history of
    /// the writer's own.
    public init(directory: URL, clock: @escaping () -> Double = { Date().timeIntervalSince1970 },
                hostname: String = ProcessInfo.processInfo.hostName, images: Bool = true,
                history: RunHistory? = nil) throws(WriterError) {
        self.clock = clock
        self.images = images
        self.history = history ?? RunHistory()
        self.ownsHistory = history == nil
        try createDirectory(directory)
        let now = clock()
        let host = hostname.isEmpty ? "localhost" : hostname.replacingOccurrences(of: "/", with: "_")
        var name = "events.out.tfevents.\(Int(now)).\(host)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            suffix += 1
            name = "events.out.tfevents.\(Int(now)).\(host).\(suffix)"
        }
        url = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: url.path) else {
            throw .io(path: url.path, reason: "cannot create the event file")
        }
        self.handle = handle
        try append(TensorBoardEvent.fileVersionEvent(wallTime: now))
    }

    private func append(_ event: [UInt8]) throws(WriterError) {
        guard let handle else { throw .closed(writer: "tensorboard") }
        do {
            try WriteFaults.append(Data(TensorBoardEvent.record(event)), to: handle, path: url.path)
        } catch {
            throw .io(path: url.path, reason: "cannot append an event: \(fileErrorReason(error))")
        }
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        let step = Int64(record.epoch)
        let scalars = record.keyedValues.map { TensorBoardEvent.Value.scalar(tag: $0.key, value: Float($0.value)) }
        try append(TensorBoardEvent.summaryEvent(wallTime: clock(), step: step, values: scalars))
        let histograms = record.layers.compactMap { entry in
            entry.eigenvalues.flatMap { TensorBoardEvent.histogram(tag: "\(entry.phase.rawValue)-eigenvalues_\(entry.layer)", values: $0) }
        }
        if !histograms.isEmpty {
            try append(TensorBoardEvent.summaryEvent(wallTime: clock(), step: step, values: histograms))
        }
        guard images else { return }
        if ownsHistory { history.append(record) }
        for (name, figure) in history.figures {
            let png: [UInt8]
            do {
                png = try history.png(named: name)
            } catch {
                throw .io(path: url.path, reason: "plot \(name): \(error.message)")
            }
            try append(TensorBoardEvent.summaryEvent(wallTime: clock(), step: step, values: [
                .image(tag: "plots/\(name)", width: figure.width, height: figure.height, png: png),
            ]))
        }
    }

    /// Nothing to redo: a resumed run writes a new event file, and the images come from the shared history.
    public func resume(after completed: [EpochRecord]) throws(WriterError) {
        if ownsHistory { history.replace(with: completed) }
    }

    public func close() throws(WriterError) {
        guard let handle else { return }
        self.handle = nil
        do { try handle.close() } catch { throw .io(path: url.path, reason: "cannot close: \(error.localizedDescription)") }
    }
}
