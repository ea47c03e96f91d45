import Testing
@testable import DelveNN

/// Two Gaussian blobs in 2-D centred at (−1.5, −1.5) and (1.5, 1.5): linearly separable up to a few
/// overlapping points.
func blobs(count: Int, seed: UInt64) -> (Tensor, [Int]) {
    var rng = SeededGenerator(seed: seed)
    let noise = Tensor.normal([count, 2], std: 0.6, using: &rng)
    var labels: [Int] = []
    let p = noise.storage.pointer
    for i in 0..<count {
        let label = i % 2
        labels.append(label)
        let centre: Float = label == 0 ? -1.5 : 1.5
        p[2 * i] += centre; p[2 * i + 1] += centre
    }
    return (noise, labels)
}

/// Trains a small MLP with SGD on the blobs and returns (final parameters, test accuracy).
func trainBlobs(seed: UInt64) -> ([Float], Double) {
    var rng = SeededGenerator(seed: seed)
    let model = Sequential(Linear(2, 16, rng: &rng), ReLU(), Linear(16, 2, rng: &rng))
    let optimizer = SGD(parameters: model.parameters(), learningRate: 0.1, momentum: 0.9)
    let (x, y) = blobs(count: 256, seed: 11)
    for _ in 0..<30 {
        for start in stride(from: 0, to: 256, by: 32) {
            let batch = x.narrowed(axis: 0, start: start, length: 32)
            optimizer.zeroGrad()
            crossEntropy(logits: model(batch), labels: Array(y[start..<start + 32])).backward()
            optimizer.step()
        }
    }
    model.eval()
    let (tx, ty) = blobs(count: 200, seed: 12)
    let predictions = GradMode.withoutGrad { model(tx) }.argmaxLastAxis()
    let accuracy = Double(zip(predictions, ty).filter { $0 == $1 }.count) / Double(ty.count)
    return (model.parameters().flatMap(\.scalars), accuracy)
}

@Suite("Training end to end")
struct TrainingTests {
    @Test("a small MLP separates two blobs (≥ 95 % test accuracy)")
    func separable() {
        let (_, accuracy) = trainBlobs(seed: 1)
        #expect(accuracy >= 0.95)
    }

    @Test("two seeded runs are bit-identical; another seed differs")
    func determinism() {
        let (a, _) = trainBlobs(seed: 5)
        let (b, _) = trainBlobs(seed: 5)
        let (c, _) = trainBlobs(seed: 6)
        #expect(a == b)
        #expect(a != c)
    }
}
