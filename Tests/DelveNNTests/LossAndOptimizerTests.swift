import Testing
import Foundation
@testable import DelveNN

@Suite("Losses and optimizers")
struct LossAndOptimizerTests {
    @Test("cross-entropy value and gradient")
    func crossEntropyValue() {
        let logits = Tensor(shape: [2, 3], data: [1, 2, 3, 1000, 0, -1000])
        let loss = crossEntropy(logits: logits, labels: [2, 0])
        // row 0: log(e¹+e²+e³) − 3 = 0.40760596; row 1: ≈ 0 (stable for huge logits)
        #expect(Swift.abs(loss.item - 0.40760596 / 2) < 1e-6)
        gradientCheck([randomTensor([4, 5], seed: 1, low: -3, high: 3)]) { crossEntropy(logits: $0[0], labels: [0, 4, 2, 2]) }
    }

    @Test("MSE value and gradient")
    func mse() {
        let a = Tensor(shape: [2], data: [1, 3]), b = Tensor(shape: [2], data: [2, 1])
        #expect(mseLoss(a, b).item == 2.5)
        gradientCheck([randomTensor([3, 2], seed: 2), randomTensor([3, 2], seed: 3)]) { mseLoss($0[0], $0[1]) }
    }

    @Test("SGD with momentum, weight decay and Nesterov against hand-computed steps")
    func sgdSteps() {
        let p = Tensor(shape: [2], data: [1, -2], requiresGrad: true)
        let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        p.grad = Tensor(shape: [2], data: [0.5, 1])
        sgd.step()
        // d = g + 0.01p = [0.51, 0.98]; b = d; p = p − 0.1b = [0.949, −2.098]
        #expect(close(p.scalars, [0.949, -2.098], tolerance: 1e-6))
        p.grad = Tensor(shape: [2], data: [0.5, 1])
        sgd.step()
        // d = [0.50949, 0.97902]; b = 0.9·[0.51, 0.98] + d = [0.96849, 1.86102]; p −= 0.1b
        #expect(close(p.scalars, [0.949 - 0.096849, -2.098 - 0.186102], tolerance: 1e-6))

        let q = Tensor(shape: [1], data: [1], requiresGrad: true)
        let nesterov = SGD(parameters: [q], learningRate: 0.1, momentum: 0.5, nesterov: true)
        q.grad = Tensor(shape: [1], data: [2]); nesterov.step()   // b = 2; update = 2 + 0.5·2 = 3
        #expect(close(q.scalars, [0.7], tolerance: 1e-6))
        q.grad = Tensor(shape: [1], data: [2]); nesterov.step()   // b = 3; update = 2 + 1.5 = 3.5
        #expect(close(q.scalars, [0.35], tolerance: 1e-6))
    }

    @Test("Adam and AdamW against hand-computed steps")
    func adamSteps() {
        let p = Tensor(shape: [2], data: [1, -1], requiresGrad: true)
        let adam = Adam(parameters: [p], learningRate: 0.1)
        p.grad = Tensor(shape: [2], data: [0.2, -3])
        adam.step()
        // First step: m̂ = g, v̂ = g², update = lr·g/(|g| + ε) ≈ lr·sign(g)
        #expect(close(p.scalars, [0.9, -0.9], tolerance: 1e-6))
        p.grad = Tensor(shape: [2], data: [0.1, 1])
        adam.step()
        // m = 0.9·0.1·g₁ + 0.1·g₂ (times (1−β₁) bookkeeping): compute directly
        func expected(_ g1: Double, _ g2: Double, _ start: Double) -> Double {
            let m = 0.9 * (0.1 * g1) + 0.1 * g2, v = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2
            let mhat = m / (1 - 0.81), vhat = v / (1 - 0.998001)
            return start - 0.1 * mhat / (vhat.squareRoot() + 1e-8)
        }
        #expect(close(p.scalars, [Float(expected(0.2, 0.1, 0.9)), Float(expected(-3, 1, -0.9))], tolerance: 1e-5))

        let w = Tensor(shape: [1], data: [2], requiresGrad: true)
        let adamw = AdamW(parameters: [w], learningRate: 0.1, weightDecay: 0.5)
        w.grad = Tensor(shape: [1], data: [4])
        adamw.step()
        // θ ← θ(1 − 0.05) − 0.1·sign(g) = 1.9 − 0.1
        #expect(close(w.scalars, [1.8], tolerance: 1e-6))
    }

    @Test("learning-rate schedules")
    func schedules() {
        let step = LearningRateSchedule.step(every: 2, gamma: 0.5)
        let rates = (1...5).map { step.learningRate(base: 1, step: $0) }
        #expect(rates == [1, 0.5, 0.5, 0.25, 0.25])
        let cosine = LearningRateSchedule.cosine(period: 4, minimum: 0.2)
        let cos = (1...4).map { cosine.learningRate(base: 1, step: $0) }
        // 0.2 + 0.8·(1 + cos(πe/4))/2
        let expectedCosine: [Float] = [0.88284271, 0.6, 0.31715729, 0.2]
        #expect(close(cos, expectedCosine, tolerance: 1e-6))
    }
}
