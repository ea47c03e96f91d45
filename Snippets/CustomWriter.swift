// A writer of your own: anything that conforms to EpochWriter receives every epoch's record.
import Delve

/// Prints one line per epoch with the saturation of each layer seen in training.
final class SaturationLineWriter: EpochWriter {
    private(set) var lines: [String] = []

    func write(_ record: EpochRecord) throws(WriterError) {
        let parts = record.layers.filter { $0.phase == .train }.map { layer in
            "\(layer.layer) \(layer.statistics[.lsat].map { String(format: "%.2f", $0) } ?? "-")"
        }
        lines.append("epoch \(record.epoch): " + parts.joined(separator: ", "))
        print(lines.last!)
    }

    /// A resumed run: the lines show only what this process sees, so there is nothing to redraw.
    func resume(after completed: [EpochRecord]) throws(WriterError) {}

    func close() throws(WriterError) {
        print("\(lines.count) epoch(s) written")
    }
}

let writer = SaturationLineWriter()
let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]), writers: [writer])
var rng = SystemRandomNumberGenerator()
for _ in 0..<3 {
    let values = (0..<64 * 4).map { _ in Float.random(in: -1...1, using: &rng) }
    try tracker.record(layer: "fc1", phase: .train, values: values, shape: [64, 4], kind: .dense)
    try tracker.endEpoch()
}
try tracker.close()                           // closes every writer
