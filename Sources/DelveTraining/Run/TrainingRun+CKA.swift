import Delve
import DelveData
import DelveNN
import DelveNNTracking

extension TrainingRun {
    /// With ``TrackerOptions/cka`` on: runs two test samples through `model` in evaluation mode (no
    /// gradients, before the tracker is attached) to learn each tracked layer's per-sample width, then
    /// says how much memory the cross-covariances will take, or throws ``TrainingError/invalid(_:)``
    /// naming `--cka-memory-limit` when that is more than the limit — before the run folder is touched.
    static func planCKA(_ configuration: TrainingConfiguration, model: Module, test: LabeledImages, flatten: Bool,
                        say: (String) -> Void) throws {
        guard let cka = configuration.tracker.cka else { return }
        var widths: [(name: String, features: Int)] = []
        var hooks: [HookHandle] = []
        for (path, module) in model.namedModules() where !path.isEmpty && SaturationTracker.isTrackedByDefault(module) {
            let sequence = module is LSTM || module is GRU
            hooks.append(module.registerForwardHook { _, _, output in
                let shape = output.shape
                let width = sequence ? (shape.last ?? 0) : (shape.count >= 2 ? shape[1] : 0)
                widths.append((path, width))
            })
        }
        defer { for hook in hooks { hook.remove() } }
        let loader = try DataLoader(test, batchSize: min(2, max(1, test.count)), shuffle: false, flatten: flatten)
        guard let batch = loader.batches(epoch: 0).first(where: { _ in true }) else { return }
        model.eval()
        defer { model.train() }
        GradMode.withoutGrad { _ = model(batch.inputs) }
        do {
            say(try cka.plan(layers: widths))
        } catch {
            throw TrainingError.invalid(error.description)
        }
    }
}
