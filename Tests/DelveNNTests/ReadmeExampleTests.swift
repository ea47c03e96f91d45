import Testing
@testable import DelveNN

@Suite("README example")
struct ReadmeExampleTests {
    @Test("the README's framework example runs and its hooks see the stated paths and shapes")
    func example() {
        var rng = SeededGenerator(seed: 0)
        let model = Sequential(
            Conv2d(3, 16, kernelSize: 3, padding: 1, rng: &rng), BatchNorm2d(16), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(), Linear(16 * 16 * 16, 10, rng: &rng))
        let optimizer = SGD(parameters: model.parameters(), learningRate: 0.01, momentum: 0.9)
        var seen: [(String, [Int])] = []
        let hooks = model.registerForwardHooks(where: { _, m in m is Conv2d || m is Linear }) { _, path, output in
            seen.append((path, output.shape))
        }
        let x = Tensor.normal([8, 3, 32, 32], using: &rng)
        optimizer.zeroGrad()
        let loss = crossEntropy(logits: model(x), labels: [0, 1, 2, 3, 4, 5, 6, 7])
        loss.backward()
        optimizer.step()
        #expect(seen.map(\.0) == ["0", "5"])
        #expect(seen.map(\.1) == [[8, 16, 32, 32], [8, 10]])
        #expect(model.parameters().allSatisfy { $0.grad != nil })
        hooks.forEach { $0.remove() }
        model.eval()
        let after = GradMode.withoutGrad { crossEntropy(logits: model(x), labels: [0, 1, 2, 3, 4, 5, 6, 7]) }
        #expect(after.item.isFinite)
        #expect(seen.count == 2, "removed hooks must not run")
    }
}
