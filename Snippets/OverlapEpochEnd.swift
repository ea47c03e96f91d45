// End each epoch in the background: the next epoch's batches start while the statistics are computed.
import Delve

let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .idim]))
var rng = SystemRandomNumberGenerator()
for _ in 0..<3 {
    for _ in 0..<5 {                          // this epoch's batches (the previous epoch's solves run meanwhile)
        let dense = (0..<32 * 200).map { _ in Float.random(in: -1...1, using: &rng) }
        try tracker.record(layer: "fc1", phase: .train, values: dense, shape: [32, 200], kind: .dense)
    }
    let ended = try tracker.endEpochInBackground()   // returns at once
    print("epoch \(ended) handed over; recording epoch \(tracker.epoch)")
}
for record in try tracker.waitForPendingEpochs() {   // every record since the last wait, in epoch order
    print(record.epoch, record.layers[0].samples, record.layers[0].statistics[.lsat]!)
}
try tracker.close()                                   // waits for pending work too
