// DelveNN in brief: a model, a training step, forward hooks, inference.
import DelveNN

var rng = SeededGenerator(seed: 0)                        // seeded init + data order ⇒ bit-identical runs
let model = Sequential(
    Conv2d(3, 16, kernelSize: 3, padding: 1, rng: &rng), BatchNorm2d(16), ReLU(), MaxPool2d(kernelSize: 2),
    Flatten(), Linear(16 * 16 * 16, 10, rng: &rng))
let optimizer = SGD(parameters: model.parameters(), learningRate: 0.01, momentum: 0.9)

// Forward hooks get (module, path, output); paths are PyTorch's ("0", "5", "features.0", …).
let hooks = model.registerForwardHooks(where: { _, m in m is Conv2d || m is Linear }) { _, path, output in
    print(path, output.shape)                             // "0" [8, 16, 32, 32], then "5" [8, 10]
}

let x = Tensor.normal([8, 3, 32, 32], using: &rng)
optimizer.zeroGrad()
let loss = crossEntropy(logits: model(x), labels: [0, 1, 2, 3, 4, 5, 6, 7])
loss.backward()                                           // gradients land in each parameter's .grad
optimizer.step()
hooks.forEach { $0.remove() }

model.eval()                                              // Dropout off, BatchNorm uses running statistics
let logits = GradMode.withoutGrad { model(x) }            // inference: nothing recorded for autograd
print("loss", loss.item, "predictions", logits.argmaxLastAxis())
