import Testing
import Delve
import DelveNN
@testable import DelveNNTracking

@Suite("PCA projections from the tracker's train covariance")
struct PCAProjectionSetupTests {
    func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, using: &rng)
    }

    /// A small MLP and CNN, each watched, with `batches` train batches recorded; also returns every
    /// tracked layer's train outputs captured by a separate hook (the float64 oracle's input).
    func trained(_ model: Module, inputShape: [Int], options: TrackerOptions, batches: Int = 4)
        throws -> (SaturationTracker, [String: [Tensor]]) {
        let tracker = try SaturationTracker(options: options)
        tracker.watch(model)
        var outputs: [String: [Tensor]] = [:]
        model.registerForwardHooks(where: { SaturationTracker.isTrackedByDefault($1) && !$0.isEmpty }) { module, path, output in
            if module.training { outputs[path, default: []].append(output) }
        }
        model.train()
        GradMode.withoutGrad {
            for b in 0..<batches { _ = model(input(inputShape, seed: UInt64(100 + b))) }
        }
        return (tracker, outputs)
    }

    func mlp() -> Module {
        var rng = SeededGenerator(seed: 1)
        return Sequential(Linear(6, 7, rng: &rng), ReLU(), Linear(7, 4, rng: &rng))
    }

    func cnn() -> Module {
        var rng = SeededGenerator(seed: 2)
        return Sequential(Conv2d(2, 5, kernelSize: (3, 3), rng: &rng), ReLU(), Flatten(), Linear(5 * 4 * 4, 3, rng: &rng))
    }

    @Test("the snapshot is the float64 covariance of the layer's rows (Linear) and positions × channels (Conv2d)")
    func snapshotLayout() throws {
        let (tracker, outputs) = try trained(cnn(), inputShape: [8, 2, 6, 6], options: TrackerOptions())
        let snapshots = try tracker.trainCovariances()
        #expect(snapshots.map(\.layer) == ["0", "3"])
        #expect(snapshots.map(\.features) == [5, 3])
        #expect(snapshots.map(\.samples) == [4 * 8 * 16, 4 * 8])
        // Oracle for the convolution: every position of every sample is a row of 5 channels.
        var rows: [[Double]] = []
        for t in outputs["0"]! {
            let v = t.scalars, (n, c, hw) = (t.shape[0], t.shape[1], t.shape[2] * t.shape[3])
            for s in 0..<n { for p in 0..<hw { rows.append((0..<c).map { Double(v[(s * c + $0) * hw + p]) }) } }
        }
        let d = 5, count = Double(rows.count)
        let mean = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] } / count }
        let conv = snapshots[0]
        for j in 0..<d { #expect(abs(conv.mean[j] - mean[j]) < 1e-9) }
        for i in 0..<d {
            for j in 0..<d {
                let c = rows.reduce(0) { $0 + ($1[i] - mean[i]) * ($1[j] - mean[j]) } / count
                #expect(abs(conv.covariance[i * d + j] - c) < 1e-9 * max(1, abs(c)))
            }
        }
    }

    @Test("k equals the tracker's train idim on the same covariance, at every δ")
    func keptEqualsIdim() throws {
        for delta in [0.5, 0.9, 0.99] {
            for (model, shape) in [(mlp(), [32, 6]), (cnn(), [8, 2, 6, 6])] {
                let options = TrackerOptions(statistics: [.idim], threshold: delta)
                let (tracker, _) = try trained(model, inputShape: shape, options: options)
                let snapshots = try tracker.trainCovariances()
                let setup = try PCAProjectionSetup(model: model, snapshots: snapshots, layout: options.layout, threshold: delta)
                defer { setup.detach() }
                let record = try tracker.endEpoch()
                let idims = record.layers.filter { $0.phase == .train }.map { Int($0.statistics[.idim]!) }
                #expect(setup.projections.map(\.layer) == record.layers.filter { $0.phase == .train }.map(\.layer))
                #expect(setup.keptDimensions == idims, "δ = \(delta)")
                // The same from the engine's Spectrum on the snapshot (paper convention).
                for (snapshot, kept) in zip(snapshots, setup.keptDimensions) {
                    let spectrum = try Spectrum(covariance: snapshot.covariance, features: snapshot.features, samples: snapshot.samples)
                    #expect(spectrum.intrinsicDimensionality(threshold: delta, convention: .paper) == kept)
                }
            }
        }
    }

    @Test("at δ = 1 the projected model's outputs equal the unprojected ones within 1e-5; detach restores")
    func deltaOneModel() throws {
        for (model, shape) in [(mlp(), [32, 6]), (cnn(), [8, 2, 6, 6])] {
            let (tracker, _) = try trained(model, inputShape: shape, options: TrackerOptions())
            let setup = try PCAProjectionSetup(model: model, snapshots: try tracker.trainCovariances(),
                                               layout: LayoutOptions(), threshold: 1)
            model.eval()
            let x = input(shape, seed: 999)
            let projected = GradMode.withoutGrad { Module.withoutHooks { model(x) } }.scalars
            // k at δ = 1 is the rank the engine sees (Linear(6, 7) has rank 6), at most D.
            let ranks = try tracker.trainCovariances().map {
                try Spectrum(covariance: $0.covariance, features: $0.features, samples: $0.samples).intrinsicDimensionality(threshold: 1)
            }
            #expect(setup.keptDimensions == ranks)
            setup.detach()
            let plain = GradMode.withoutGrad { Module.withoutHooks { model(x) } }.scalars
            let error = zip(projected, plain).map { abs($0 - $1) }.max()!
            #expect(error < 1e-5)
            // A smaller δ changes the outputs (the projection is really applied).
            let coarse = try PCAProjectionSetup(model: model, snapshots: try tracker.trainCovariances(),
                                                layout: LayoutOptions(), threshold: 0.5)
            let reduced = GradMode.withoutGrad { Module.withoutHooks { model(x) } }.scalars
            coarse.detach()
            #expect(zip(reduced, plain).map { abs($0 - $1) }.max()! > 1e-3)
        }
    }

    @Test("convolutions under a non-channelwise conv method are skipped with the reason")
    func skippedLayouts() throws {
        var options = TrackerOptions()
        options.layout = LayoutOptions(convMethod: .mean)
        let model = cnn()
        let (tracker, _) = try trained(model, inputShape: [8, 2, 6, 6], options: options)
        let setup = try PCAProjectionSetup(model: model, snapshots: try tracker.trainCovariances(), layout: options.layout, threshold: 0.9)
        defer { setup.detach() }
        #expect(setup.projections.map(\.layer) == ["3"])
        #expect(setup.skipped.map(\.layer) == ["0"])
        #expect(setup.skipped.first?.reason.contains("conv method mean") == true)
    }
}
