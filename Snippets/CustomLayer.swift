// A layer of your own: a Module subclass. The tracker watches the layers it knows inside it
// (Linear here) by itself; a forward hook hands it the output of the new layer type too.
import Delve
import DelveNN
import DelveNNTracking

/// y = relu(x + W₂ relu(W₁ x)): a residual block of two Linear layers.
final class ResidualDense: Module {
    let inner: Linear, outer: Linear

    init(_ features: Int, hidden: Int, rng: inout some RandomNumberGenerator) {
        inner = Linear(features, hidden, rng: &rng)
        outer = Linear(hidden, features, rng: &rng)
        super.init()                          // children and parameters are found from the stored properties
    }

    override func forward(_ x: Tensor) -> Tensor {
        (x + outer(inner(x).relu())).relu()
    }
}

var rng = SeededGenerator(seed: 1)
let model = Sequential(ResidualDense(16, hidden: 8, rng: &rng), Linear(16, 4, rng: &rng))
let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .idim]))
let handle = tracker.watch(model)             // tracks 0.inner, 0.outer and 1
print(handle.report)                          // lists the tracked layers and why others are not
let blockHooks = model.registerForwardHooks(where: { _, module in module is ResidualDense }) { module, path, output in
    tracker.recordReportingLater(layer: path, phase: module.training ? .train : .eval,
                                 batch: TensorActivationBatch(output, kind: .dense))
}

model.eval()
for _ in 0..<4 { _ = GradMode.withoutGrad { model(Tensor.normal([32, 16], using: &rng)) } }
let record = try tracker.endEpoch()           // a rejected batch from a hook would be thrown here
print(record.layers.map { "\($0.layer): lsat \($0.statistics[.lsat]!)" })
blockHooks.forEach { $0.remove() }
handle.remove()
