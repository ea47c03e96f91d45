import Testing
@testable import DelveNN

@Suite("Tensor and autograd")
struct TensorTests {
    @Test("broadcast arithmetic values")
    func broadcastValues() {
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3], data: [10, 20, 30])
        #expect((a + b).scalars == [11, 22, 33, 14, 25, 36])
        let c = Tensor(shape: [2, 1], data: [2, 3])
        #expect((a * c).scalars == [2, 4, 6, 12, 15, 18])
        #expect((a - 1).scalars == [0, 1, 2, 3, 4, 5])
        #expect((a / c).scalars == [0.5, 1, 1.5, 4.0 / 3.0, 5.0 / 3.0, 2])
    }

    @Test("matmul, transpose and permute values")
    func matmulValues() {
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], data: [7, 8, 9, 10, 11, 12])
        #expect(Tensor.matmul(a, b).scalars == [58, 64, 139, 154])
        #expect(a.transposed().scalars == [1, 4, 2, 5, 3, 6])
        let t = Tensor(shape: [2, 2, 3], data: (0..<12).map(Float.init))
        #expect(t.permuted([2, 0, 1]).shape == [3, 2, 2])
        #expect(t.permuted([2, 0, 1]).scalars == [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11])
    }

    @Test("reductions")
    func reductions() {
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(a.sum().item == 21)
        #expect(a.mean().item == 3.5)
        #expect(a.sum(axes: [0]).scalars == [5, 7, 9])
        #expect(a.sum(axes: [1], keepingDims: true).shape == [2, 1])
        #expect(a.mean(axes: [1]).scalars == [2, 5])
    }

    @Test("gradients of arithmetic with broadcasting")
    func arithmeticGradients() {
        gradientCheck([randomTensor([3, 4], seed: 1), randomTensor([4], seed: 2)]) { $0[0] + $0[1] }
        gradientCheck([randomTensor([3, 4], seed: 3), randomTensor([3, 1], seed: 4)]) { $0[0] * $0[1] }
        gradientCheck([randomTensor([3, 4], seed: 5), randomTensor([1, 4], seed: 6, low: 1, high: 2)]) { $0[0] / $0[1] - $0[1] }
    }

    @Test("gradients of matmul with every transpose combination")
    func matmulGradients() {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = randomTensor(ta ? [4, 3] : [3, 4], seed: 7)
                let b = randomTensor(tb ? [5, 4] : [4, 5], seed: 8)
                gradientCheck([a, b]) { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
            }
        }
    }

    @Test("gradients of reductions, shape ops and elementwise math")
    func shapeGradients() {
        gradientCheck([randomTensor([2, 3, 4], seed: 9)]) { $0[0].sum(axes: [0, 2]) }
        gradientCheck([randomTensor([2, 3, 4], seed: 10)]) { $0[0].mean(axes: [1], keepingDims: true) }
        gradientCheck([randomTensor([2, 3, 4], seed: 11)]) { $0[0].permuted([1, 2, 0]).reshaped([3, 8]) }
        gradientCheck([randomTensor([2, 3], seed: 12), randomTensor([2, 2], seed: 13)]) {
            Tensor.concatenated([$0[0], $0[1]], axis: 1).narrowed(axis: 1, start: 1, length: 3)
        }
        gradientCheck([randomTensor([3, 4], seed: 14, low: 0.5, high: 2)]) { ($0[0].log() + $0[0].exp()) * $0[0].sqrt() }
    }

    @Test("gradients of activations and softmax")
    func activationGradients() {
        // Values away from ReLU's kink at 0.
        let x = Tensor(shape: [2, 4], data: [-1.5, -0.6, 0.4, 1.2, 0.7, -0.3, 2.0, -2.2])
        gradientCheck([x]) { $0[0].relu() }
        gradientCheck([x.copy()]) { $0[0].leakyRelu(negativeSlope: 0.1) }
        gradientCheck([x.copy()]) { $0[0].gelu() }
        gradientCheck([x.copy()]) { $0[0].tanh() }
        gradientCheck([x.copy()]) { $0[0].sigmoid() }
        gradientCheck([x.copy()]) { $0[0].softmax(axis: 1) }
        gradientCheck([x.copy()]) { $0[0].softmax(axis: 0) }
        gradientCheck([x.copy()]) { $0[0].logSoftmax(axis: 1) }
    }

    @Test("activation values match closed forms")
    func activationValues() {
        let x = Tensor(shape: [3], data: [-1, 0, 2])
        #expect(x.relu().scalars == [0, 0, 2])
        #expect(close(x.gelu().scalars, [-0.15865525, 0, 1.9544997]))
        #expect(close(x.sigmoid().scalars, [0.26894142, 0.5, 0.8807971]))
        // Vectorized σ and tanh against double precision on a spread of values (several chunks and a
        // tail), including ±0, saturated inputs and NaN.
        var values: [Float] = (0..<203).map { Float($0 - 101) * 0.173 }
        values += [0, -0, 30, -30, 100, -100, .nan]
        let t = Tensor(shape: [values.count], data: values)
        let sig = t.sigmoid().scalars, th = t.tanh().scalars
        for (k, v) in values.enumerated() where !v.isNaN {
            let d = Double(v)
            #expect(abs(Double(sig[k]) - 1 / (1 + Foundation.exp(-d))) <= 2e-7, "sigmoid(\(v)) = \(sig[k])")
            #expect(abs(Double(th[k]) - Foundation.tanh(d)) <= 2e-7, "tanh(\(v)) = \(th[k])")
        }
        #expect(sig.last!.isNaN && th.last!.isNaN)
        let s = x.softmax(axis: 0).scalars
        #expect(close(s, [0.04201007, 0.11419519, 0.8437947]))
        #expect(close(x.logSoftmax(axis: 0).scalars, s.map { Foundation.log($0) }))
    }

    @Test("gradient accumulates across uses and across backward calls")
    func accumulation() {
        let x = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        (x * x + x).sum().backward()           // d/dx = 2x + 1
        #expect(x.grad?.scalars == [3, 5])
        (x + x).sum().backward()               // adds 2
        #expect(x.grad?.scalars == [5, 7])
        let y = Tensor(shape: [2], data: [0, 0], requiresGrad: true)
        (x + y).sum().backward()               // x and y receive the same upstream gradient
        #expect(x.grad?.scalars == [6, 8])
        #expect(y.grad?.scalars == [1, 1])
        (x + y).sum().backward()
        #expect(y.grad?.scalars == [2, 2], "accumulation into y must not change x")
        #expect(x.grad?.scalars == [7, 9])
    }

    @Test("backward from a leaf sets its gradient to the seed")
    func leafBackward() {
        let x = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        x.backward(gradient: Tensor(shape: [2], data: [3, 4]))
        #expect(x.grad?.scalars == [3, 4])
        x.backward(gradient: Tensor(shape: [2], data: [1, 1]))
        #expect(x.grad?.scalars == [4, 5])
    }

    @Test("no-grad mode records nothing")
    func noGrad() {
        let x = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        let y = GradMode.withoutGrad { x * x }
        #expect(!y.requiresGrad)
        #expect(y.isLeaf)
        #expect(GradMode.isEnabled)
    }

    @Test("seeded generator is reproducible")
    func seeded() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
        let n = Tensor.normal([10_000], using: &a)
        let mean = n.mean().item
        let variance = (n * n).mean().item - mean * mean
        #expect(Swift.abs(mean) < 0.05 && Swift.abs(variance - 1) < 0.05)
    }
}
import Foundation
