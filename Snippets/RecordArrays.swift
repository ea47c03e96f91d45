// Feed the tracker from any framework: hand it each layer's outputs as a flat array and a shape.
import Delve

let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .idim, .erank]))
var rng = SystemRandomNumberGenerator()
for epoch in 0..<2 {
    for _ in 0..<5 {                          // five batches of 16 samples
        let dense = (0..<16 * 8).map { _ in Float.random(in: -1...1, using: &rng) }
        try tracker.record(layer: "fc1", phase: .train, values: dense, shape: [16, 8], kind: .dense)
        let maps = (0..<16 * 4 * 3 * 3).map { _ in Float.random(in: 0...1, using: &rng) }
        try tracker.record(layer: "conv1", phase: .train, values: maps, shape: [16, 4, 3, 3], kind: .convolution)
        let sequence = (0..<16 * 5 * 6).map { _ in Float.random(in: -1...1, using: &rng) }
        try tracker.record(layer: "lstm", phase: .eval, values: sequence, shape: [16, 5, 6],
                           kind: .sequence(batchFirst: true))
    }
    let record = try tracker.endEpoch()       // the statistics of every layer and phase seen
    for layer in record.layers {
        print(epoch, layer.layer, layer.phase, layer.features, layer.statistics[.lsat]!)
    }
}
try tracker.close()
