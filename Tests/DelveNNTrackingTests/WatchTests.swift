import Testing
import Delve
import DelveNN
@testable import DelveNNTracking

@Suite("watch(model)")
struct WatchTests {
    func input(_ rows: Int, _ features: Int, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal([rows, features], using: &rng)
    }

    @Test("tracks Linear layers by default and lists every skipped module with a reason")
    func defaultSelection() throws {
        var rng = SeededGenerator(seed: 1)
        let model = Sequential(Linear(4, 8, rng: &rng), ReLU(), Linear(8, 3, rng: &rng))
        let tracker = try SaturationTracker()
        let handle = tracker.watch(model)
        #expect(handle.report.tracked.map(\.name) == ["0", "2"])
        #expect(handle.report.skipped.contains { $0.name == "1" && $0.reason.contains("ReLU") })
        #expect(handle.report.description.hasSuffix("\nnot tracked: 1 ReLU, 1 container (--verbose lists them)"))
        #expect(handle.report.detailedDescription.contains("1 — ReLU is not a tracked layer type"))
        _ = model(input(16, 4, seed: 2))
        let record = try tracker.endEpoch()
        #expect(record.layers.map(\.layer) == ["0", "2"])
        #expect(record.layers.map(\.features) == [8, 3])
        #expect(record.layers.allSatisfy { $0.samples == 16 && $0.phase == .train })
    }

    @Test("train and eval outputs go to separate phases")
    func phases() throws {
        var rng = SeededGenerator(seed: 3)
        let model = Sequential(Linear(5, 6, rng: &rng))
        let tracker = try SaturationTracker()
        tracker.watch(model)
        model.train(); _ = model(input(10, 5, seed: 4))
        model.eval(); _ = GradMode.withoutGrad { model(input(7, 5, seed: 5)) }
        let layers = try tracker.endEpoch().layers
        #expect(layers.map(\.phase) == [.train, .eval])
        #expect(layers.map(\.samples) == [10, 7])
    }

    @Test("a rank-3 linear bottleneck gives intrinsic dimensionality 3")
    func bottleneck() throws {
        var rng = SeededGenerator(seed: 6)
        let layer = Linear(10, 10, rng: &rng)
        // weight = diag(1, 1, 1, 0, …, 0), bias 0: the output spans exactly 3 directions.
        layer.weight.withUnsafeMutableBufferPointer { w in
            for i in 0..<100 { w[i] = 0 }
            for i in 0..<3 { w[i * 10 + i] = 1 }
        }
        layer.bias?.withUnsafeMutableBufferPointer { b in for i in 0..<b.count { b[i] = 0 } }
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .idim]))
        tracker.watch(layer)
        _ = GradMode.withoutGrad { layer(input(2000, 10, seed: 7)) }
        let values = try #require(try tracker.endEpoch().layers.first)
        #expect(values.statistics[.idim] == 3)
        #expect(abs(values.statistics[.lsat]! - 0.3) < 1e-12)
    }

    @Test("a filter and an ignore list choose the layers; remove() detaches")
    func filterIgnoreRemove() throws {
        var rng = SeededGenerator(seed: 8)
        let model = Sequential(Linear(4, 4, rng: &rng), Tanh(), Linear(4, 4, rng: &rng), Linear(4, 2, rng: &rng))
        let tracker = try SaturationTracker()
        let handle = tracker.watch(model, where: { name, _ in name != "3" }, ignoring: ["0"])
        #expect(handle.report.tracked.map(\.name) == ["2"])
        #expect(handle.report.skipped.contains { $0.name == "0" && $0.reason.contains("ignored") })
        #expect(handle.report.skipped.contains { $0.name == "1" && $0.reason.contains("cannot read") })
        _ = model(input(6, 4, seed: 9))
        #expect(try tracker.endEpoch().layers.map(\.layer) == ["2"])
        handle.remove()
        _ = model(input(6, 4, seed: 10))
        #expect(try tracker.endEpoch().layers.isEmpty)
    }

    @Test("convolution outputs are tracked channelwise")
    func convolution() throws {
        var rng = SeededGenerator(seed: 11)
        let model = Sequential(Conv2d(2, 5, kernelSize: 3, padding: 1, rng: &rng))
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]))
        tracker.watch(model)
        var r = SeededGenerator(seed: 12)
        _ = model(Tensor.normal([3, 2, 4, 4], using: &r))
        let layer = try #require(try tracker.endEpoch().layers.first)
        #expect(layer.features == 5)
        #expect(layer.samples == 3 * 4 * 4)
    }
}
