import Testing
import Delve
import DelveNN
@testable import DelveNNTracking

/// A residual block for the tests: conv1 (3×3, stride 2, padding 1) → conv2 (3×3, padding 1), added to
/// a 1×1 stride-2 projection.
final class StridedResidual: Module, ReceptiveFieldComposite {
    let conv1: Conv2d
    let conv2: Conv2d
    let shortcut: Conv2d

    init(rng: inout some RandomNumberGenerator) {
        conv1 = Conv2d(1, 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        conv2 = Conv2d(1, 1, kernelSize: 3, padding: 1, rng: &rng)
        shortcut = Conv2d(1, 1, kernelSize: 1, stride: 2, rng: &rng)
        super.init()
    }

    var receptiveFieldGraph: ReceptiveFieldGraph { .merge([.chain([.module(conv1), .module(conv2)]), .module(shortcut)]) }

    override func forward(_ x: Tensor) -> Tensor { conv2(conv1(x).relu()) + shortcut(x) }
}

/// A module with children that does not say how it combines them.
final class Opaque: Module {
    let inner: Conv2d
    init(rng: inout some RandomNumberGenerator) {
        inner = Conv2d(1, 1, kernelSize: 3, rng: &rng)
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor { inner(x) }
}

@Suite("Receptive fields, jumps and border layers")
struct ReceptiveFieldTests {
    /// (name, r_h, r_w, j_h, j_w) of every layer.
    func table(_ field: ReceptiveField) -> [String] {
        func text(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
        return field.layers.map { "\($0.name) r=\(text($0.receptiveField.0))x\(text($0.receptiveField.1)) "
            + "j=\(text($0.jump.0))x\(text($0.jump.1))" }
    }

    func vgg() -> Sequential {
        var rng = SeededGenerator(seed: 1)
        return Sequential(Conv2d(1, 2, kernelSize: 3, padding: 1, rng: &rng), ReLU(),
                          Conv2d(2, 2, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
                          Conv2d(2, 2, kernelSize: 3, padding: 1, rng: &rng), ReLU(),
                          Conv2d(2, 2, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
                          Conv2d(2, 2, kernelSize: 3, padding: 1, rng: &rng))
    }

    @Test("VGG-style chain: 3×3 convolutions and 2×2 pooling; border layer on both axes")
    func vggChain() throws {
        // r = r₋ + (k − 1)·j₋, j = j₋·s, from r = j = 1:
        // 0 conv3: 1 + 2·1 = 3, j 1 | 2 conv3: 3 + 2·1 = 5 | 4 pool2: 5 + 1·1 = 6, j 2
        // 5 conv3: 6 + 2·2 = 10     | 7 conv3: 10 + 2·2 = 14 | 9 pool2: 14 + 1·2 = 16, j 4 | 10 conv3: 16 + 2·4 = 24
        let field = try ReceptiveField(of: vgg(), height: 16, width: 16)
        #expect(table(field) == ["0 r=3x3 j=1x1", "2 r=5x5 j=1x1", "4 r=6x6 j=2x2", "5 r=10x10 j=2x2",
                                 "7 r=14x14 j=2x2", "9 r=16x16 j=4x4", "10 r=24x24 j=4x4"])
        // At 16×16 the inputs of layer 10 see 16 ≥ 16 pixels (layer 9's see 14 < 16): 10 is the border layer.
        #expect(field.borderLayer?.name == "10")
        #expect(field.unproductiveLayers == ["10"])
        #expect(field.layers.map(\.outputSize.0) == [16, 16, 8, 8, 8, 4, 4])
        // At 32×32 nothing sees the input (24 < 32); at 16×40 the width is not covered (16 < 40).
        #expect(try ReceptiveField(of: vgg(), height: 32, width: 32).borderLayer == nil)
        let wide = try ReceptiveField(of: vgg(), height: 16, width: 40)
        #expect(wide.borderLayer == nil && wide.unproductiveLayers.isEmpty)
        // At 12×12 layer 7 sees 10 < 12, layer 9 sees 14 ≥ 12: the border is the pooling layer 9, and
        // the convolution after it (10) is unproductive.
        let small = try ReceptiveField(of: vgg(), height: 12, width: 12)
        #expect(small.borderLayer?.name == "9")
        #expect(small.unproductiveLayers == ["10"])
    }

    @Test("strided chain: jumps multiply; a 1×1 convolution adds nothing")
    func stridedChain() throws {
        var rng = SeededGenerator(seed: 2)
        let model = Sequential(Conv2d(1, 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng),
                               Conv2d(1, 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng),
                               Conv2d(1, 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng),
                               Conv2d(1, 1, kernelSize: 1, rng: &rng))
        // 0: r 1 + 2·1 = 3, j 2, n ⌊(8 + 2 − 3)/2⌋ + 1 = 4 | 1: r 3 + 2·2 = 7, j 4, n ⌊(4 + 2 − 3)/2⌋ + 1 = 2
        // 2: r 7 + 2·4 = 15, j 8, n 1 | 3 (1×1): r 15 + 0·8 = 15, j 8
        let field = try ReceptiveField(of: model, height: 8, width: 8)
        #expect(table(field) == ["0 r=3x3 j=2x2", "1 r=7x7 j=4x4", "2 r=15x15 j=8x8", "3 r=15x15 j=8x8"])
        #expect(field.layers.map(\.outputSize.1) == [4, 2, 1, 1])
        // Input receptive fields 1, 3, 7, 15: only layer 3's (15 ≥ 8) covers the 8×8 input.
        #expect(field.borderLayer?.name == "3")
        #expect(field.unproductiveLayers == ["3"])
    }

    @Test("dilated convolution: r grows by (k − 1)·d·j; per-axis kernels")
    func dilated() throws {
        var rng = SeededGenerator(seed: 3)
        let model = Sequential(Conv2d(1, 1, kernelSize: 2, stride: 2, rng: &rng),
                               Conv2d(1, 1, kernelSize: 3, padding: 2, dilation: 2, rng: &rng),
                               Conv2d(1, 1, kernelSize: (1, 5), padding: (0, 6), dilation: (1, 3), rng: &rng))
        // 0: r 1 + 1·1 = 2, j 2, n 8 | 1: r 2 + 2·2·2 = 10, j 2, n 8 + 4 − 4 = 8
        // 2: height 1×1: r 10, j 2; width k 5, d 3, padding 6: r 10 + 4·3·2 = 34, j 2, n 8 + 12 − 12 = 8
        let field = try ReceptiveField(of: model, height: 16, width: 16)
        #expect(table(field) == ["0 r=2x2 j=2x2", "1 r=10x10 j=2x2", "2 r=10x34 j=2x2"])
        #expect(field.layers.map(\.outputSize.0) == [8, 8, 8])
        #expect(field.borderLayer == nil)  // the last input sees 10×10 < 16×16
        // At 10×10 layer 2's input (10×10) covers it.
        #expect(try ReceptiveField(of: model, height: 10, width: 10).unproductiveLayers == ["2"])
    }

    @Test("residual block: the merge takes the largest r with its path's jump")
    func residual() throws {
        var rng = SeededGenerator(seed: 4)
        let model = Sequential(Conv2d(1, 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng), StridedResidual(rng: &rng),
                               Conv2d(1, 1, kernelSize: 3, padding: 1, rng: &rng))
        // 0: r 3, j 2, n 4
        // 1.conv1: r 3 + 2·2 = 7, j 4, n 2 | 1.conv2: r 7 + 2·4 = 15, j 4 | 1.shortcut (1×1, s 2): r 3, j 4
        // merge: max(15, 3) = 15 with j 4 | 2: r 15 + 2·4 = 23, j 4
        let field = try ReceptiveField(of: model, height: 8, width: 8)
        #expect(table(field) == ["0 r=3x3 j=2x2", "1.conv1 r=7x7 j=4x4", "1.conv2 r=15x15 j=4x4",
                                 "1.shortcut r=3x3 j=4x4", "2 r=23x23 j=4x4"])
        #expect(field.borderLayer?.name == "2")  // input 15 ≥ 8; 1.conv2's input is 7 < 8
        // At 7×7: 1.conv2's input (7) covers it and is the border; the shortcut beside it reads the
        // block input (3 < 7) and is not unproductive; layer 2 is.
        let seven = try ReceptiveField(of: model, height: 7, width: 7)
        #expect(seven.borderLayer?.name == "1.conv2")
        #expect(seven.unproductiveLayers == ["1.conv2", "2"])
    }

    @Test("transposed convolutions: j divides by s, r grows by ⌊(k − 1)/s⌋·j for d = 1")
    func transposed() throws {
        var rng = SeededGenerator(seed: 5)
        let model = Sequential(Conv2d(1, 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng),
                               Conv2d(1, 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng),
                               ConvTranspose2d(1, 1, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, rng: &rng),
                               ConvTranspose2d(1, 1, kernelSize: 4, stride: 2, padding: 1, rng: &rng),
                               ConvTranspose2d(1, 1, kernelSize: 3, stride: 2, padding: 2, dilation: 2, rng: &rng))
        // 0: r 3, j 2, n 4 | 1: r 7, j 4, n 2
        // 2 (k 3, s 2): output o reads inputs (o + 1 − t)/2, t = 0…2: at most 2 of them, 1 apart:
        //   r 7 + 1·4 = 11, j 4/2 = 2, n (2 − 1)·2 − 2 + 2 + 1 + 1 = 4
        // 3 (k 4, s 2): inputs (o + 1 − t)/2, t = 0…3: 2 of them, 1 apart: r 11 + ⌊3/2⌋·2 = 13, j 1,
        //   n (4 − 1)·2 − 2 + 3 + 1 = 8
        // 4 (k 3, s 2, d 2): inputs (o + 2 − 2t)/2 = (o + 2)/2 − t for even o: 3 of them, 2 apart:
        //   g = 2/gcd(2, 2) = 1, ⌊2/1⌋·(2/2) = 2 steps: r 13 + 2·1 = 15, j 1/2 = 0.5, n 7·2 − 4 + 4 + 1 = 15
        let field = try ReceptiveField(of: model, height: 8, width: 8)
        #expect(table(field) == ["0 r=3x3 j=2x2", "1 r=7x7 j=4x4", "2 r=11x11 j=2x2", "3 r=13x13 j=1x1", "4 r=15x15 j=0.5x0.5"])
        #expect(field.layers.map(\.outputSize.0) == [4, 2, 4, 8, 15])
        #expect(field.layers.map(\.isConvolution) == [true, true, true, true, true])
        // Input receptive fields 7, 11, 13 for layers 2, 3, 4: layer 3 is the first to cover 8×8.
        #expect(field.borderLayer?.name == "3")
        #expect(field.unproductiveLayers == ["3", "4"])
    }

    @Test("global layers: Linear after a map and adaptive pooling see the whole map; never the border")
    func globalLayers() throws {
        var rng = SeededGenerator(seed: 6)
        let linearHead = Sequential(Conv2d(1, 1, kernelSize: 3, padding: 1, rng: &rng), Flatten(), Linear(24, 5, rng: &rng),
                                    Linear(5, 2, rng: &rng))
        // 0: r 3, j 1 on a 4×6 map | 2 (Linear, kernel = the 4×6 map): r 3 + 3·1 = 6 by 3 + 5·1 = 8, j 4×6
        // 3 (Linear on a vector): unchanged
        let field = try ReceptiveField(of: linearHead, height: 4, width: 6)
        #expect(table(field) == ["0 r=3x3 j=1x1", "2 r=6x8 j=4x6", "3 r=6x8 j=4x6"])
        #expect(field.borderLayer == nil)  // layer 3's input covers 4×6, but a Linear is never the border
        #expect(field.unproductiveLayers.isEmpty)
        let pooled = Sequential(Conv2d(1, 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng), AdaptiveAvgPool2d(outputSize: 1),
                                AdaptiveAvgPool2d(outputSize: 1))
        // 0: r 3, j 2, n 4 | 1 (window 4): r 3 + 3·2 = 9, j 2·4 = 8, n 1 | 2 (window 1): unchanged
        #expect(table(try ReceptiveField(of: pooled, height: 8, width: 8)) == ["0 r=3x3 j=2x2", "1 r=9x9 j=8x8", "2 r=9x9 j=8x8"])
        // Adaptive 5 → 3: windows ⌊i·5/3⌋ ..< ⌈(i+1)·5/3⌉ = 0..<2, 1..<4, 3..<5: largest 3, stride 5/3.
        let odd = Sequential(AdaptiveAvgPool2d(outputSize: 3))
        let third = try ReceptiveField(of: odd, height: 5, width: 5).layers[0]
        #expect(third.receptiveField.0 == 3 && third.receptiveField.1 == 3)
        #expect(abs(third.jump.0 - 5.0 / 3.0) < 1e-15)
    }

    @Test("errors name the layer: input too small, unknown layer, unknown composition, bad size")
    func errors() throws {
        var rng = SeededGenerator(seed: 7)
        let tooBig = Sequential(ReLU(), Conv2d(1, 1, kernelSize: 5, rng: &rng))
        #expect(throws: ReceptiveFieldError.inputTooSmall(input: [3, 4], layer: "1", type: "Conv2d", inputSize: [3, 4])) {
            _ = try ReceptiveField(of: tooBig, height: 3, width: 4)
        }
        #expect(ReceptiveFieldError.inputTooSmall(input: [3, 4], layer: "1", type: "Conv2d", inputSize: [3, 4]).description
            == "input 3x4 is too small for the model: layer 1 (Conv2d) gets a 3×4 map and would output nothing")
        let conv1d = Sequential(Conv1d(1, 1, kernelSize: 3, rng: &rng))
        #expect(throws: ReceptiveFieldError.unsupportedLayer(name: "0", type: "Conv1d")) {
            _ = try ReceptiveField(of: conv1d, height: 8, width: 8)
        }
        let opaque = Sequential(Opaque(rng: &rng))
        #expect(throws: ReceptiveFieldError.unknownComposition(name: "0", type: "Opaque")) {
            _ = try ReceptiveField(of: opaque, height: 8, width: 8)
        }
        #expect(throws: ReceptiveFieldError.invalidInput([0, 8])) {
            _ = try ReceptiveField(of: tooBig, height: 0, width: 8)
        }
    }
}
