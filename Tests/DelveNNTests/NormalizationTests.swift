import Testing
@testable import DelveNN

@Suite("BatchNorm and Dropout")
struct NormalizationTests {
    @Test("BatchNorm2d normalizes per channel in training and updates running statistics")
    func batchNormTraining() {
        let bn = BatchNorm2d(2)
        // channel 0 holds 1, 2, 3, 4; channel 1 holds 10, 10, 10, 14 (N = 2, 1×2 images)
        let x = Tensor(shape: [2, 2, 1, 2], data: [1, 2, 10, 10, 3, 4, 10, 14])
        let y = bn(x)
        let inv0 = 1 / (1.25 + 1e-5 as Float).squareRoot()
        #expect(close([y.scalars[0], y.scalars[1]], [-1.5 * inv0, -0.5 * inv0], tolerance: 1e-5))
        // running_mean = 0.9·0 + 0.1·mean; running_var = 0.9·1 + 0.1·unbiased variance
        #expect(close(bn.runningMean.scalars, [0.25, 1.1], tolerance: 1e-6))
        #expect(close(bn.runningVar.scalars, [0.9 + 0.1 * 5.0 / 3.0, 0.9 + 0.1 * 4.0], tolerance: 1e-6))
        #expect(bn.namedBuffers().map(\.path) == ["running_mean", "running_var"])
        #expect(bn.namedParameters().map(\.path) == ["weight", "bias"])
    }

    @Test("BatchNorm uses running statistics in eval mode")
    func batchNormEval() {
        let bn = BatchNorm1d(2)
        bn.runningMean.assign(Tensor(shape: [2], data: [1, -1]))
        bn.runningVar.assign(Tensor(shape: [2], data: [4, 0.25]))
        bn.weight!.assign(Tensor(shape: [2], data: [2, 1]))
        bn.bias!.assign(Tensor(shape: [2], data: [0, 0.5]))
        bn.eval()
        let y = bn(Tensor(shape: [2, 2], data: [3, 0, 1, -1]))
        let s0 = 2 / (4 + 1e-5 as Float).squareRoot(), s1 = 1 / (0.25 + 1e-5 as Float).squareRoot()
        #expect(close(y.scalars, [2 * s0, 1 * s1 + 0.5, 0, 0.5], tolerance: 1e-6))
        #expect(bn.runningMean.scalars == [1, -1], "eval must not update running statistics")
        gradientCheck([randomTensor([3, 2], seed: 1), bn.weight!, bn.bias!]) { bn($0[0]) }
    }

    @Test("BatchNorm gradients in training mode")
    func batchNormGradients() {
        let bn1 = BatchNorm1d(3)
        bn1.weight!.assign(Tensor(shape: [3], data: [0.5, 1.5, -1]))
        gradientCheck([randomTensor([4, 3, 2], seed: 2), bn1.weight!, bn1.bias!]) { bn1($0[0]) }
        let bn2 = BatchNorm2d(2)
        gradientCheck([randomTensor([2, 2, 3, 2], seed: 3), bn2.weight!, bn2.bias!]) { bn2($0[0]) }
    }

    @Test("Dropout zeroes about p of the values in training, scales survivors, and is identity in eval")
    func dropout() {
        let drop = Dropout(p: 0.25, seed: 7)
        let x = Tensor.ones([10_000])
        let y = drop(x).scalars
        let zeros = y.filter { $0 == 0 }.count
        #expect(zeros > 2_300 && zeros < 2_700)
        #expect(y.allSatisfy { $0 == 0 || Swift.abs($0 - 4.0 / 3.0) < 1e-6 })
        drop.eval()
        #expect(drop(x).scalars == x.scalars)
        // the gradient uses the same mask
        drop.train()
        let input = Tensor.ones([100], requiresGrad: true)
        let out = drop(input)
        out.sum().backward()
        #expect(input.grad!.scalars == out.scalars)
    }
}
