import Testing
@testable import DelveNN

/// The deterministic pattern the PyTorch reference values were computed from:
/// value[i] = ((i mod m) − offset) / divisor over the flattened tensor.
func pattern(_ shape: [Int], _ m: Int, _ offset: Int, _ divisor: Float) -> Tensor {
    let n = Tensor.elementCount(shape)
    return Tensor(shape: shape, data: (0..<n).map { Float($0 % m - offset) / divisor })
}

@Suite("Convolution and pooling")
struct ConvolutionTests {
    @Test("Conv2d output sizes with stride, padding, dilation")
    func conv2dShapes() {
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.zeros([2, 4, 11, 9])
        #expect(Conv2d(4, 6, kernelSize: 3, rng: &rng)(x).shape == [2, 6, 9, 7])
        #expect(Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, rng: &rng)(x).shape == [2, 6, 6, 5])
        #expect(Conv2d(4, 6, kernelSize: 3, padding: 2, dilation: 2, rng: &rng)(x).shape == [2, 6, 11, 9])
        #expect(Conv2d(4, 8, kernelSize: (1, 3), stride: (2, 1), padding: (0, 1), groups: 4, rng: &rng)(x).shape == [2, 8, 6, 9])
        #expect(Conv1d(4, 2, kernelSize: 5, stride: 3, padding: 1, rng: &rng)(Tensor.zeros([3, 4, 20])).shape == [3, 2, 6])
        #expect(ConvTranspose2d(4, 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, rng: &rng)(x).shape == [2, 3, 22, 18])
        #expect(ConvTranspose2d(4, 2, kernelSize: 4, stride: 1, dilation: 2, rng: &rng)(x).shape == [2, 2, 17, 15])
        #expect(MaxPool2d(kernelSize: 2)(x).shape == [2, 4, 5, 4])
        #expect(AvgPool2d(kernelSize: 3, stride: 2, padding: 1)(x).shape == [2, 4, 6, 5])
        #expect(AdaptiveAvgPool2d(outputSize: (3, 2))(x).shape == [2, 4, 3, 2])
    }

    @Test("Conv2d with groups, stride and padding matches PyTorch")
    func conv2dValues() {
        var rng = SeededGenerator(seed: 2)
        let conv = Conv2d(4, 4, kernelSize: 3, stride: 2, padding: 1, groups: 2, rng: &rng)
        conv.weight.assign(pattern([4, 2, 3, 3], 5, 2, 3))
        conv.bias!.assign(Tensor(shape: [4], data: [0.1, -0.2, 0.3, -0.4]))
        let y = conv(pattern([1, 4, 5, 5], 7, 3, 4))
        #expect(y.shape == [1, 4, 3, 3])
        let expected: [Float] = [0.683333, -0.983333, -0.316667, -0.9, -0.733333, 0.516667, 0.85, 1.683333, -0.733333,
                                 -1.2, 0.383333, 0.966667, 0.133333, 0.716667, -1.116667, 0.05, -1.2, -0.033333,
                                 0.383333, -0.033333, -0.45, -0.783333, 0.55, 0.716667, 0.55, 2.133333, -0.45,
                                 -0.816667, -0.4, 1.1, -0.65, -0.816667, -1.816667, 0.35, -1.65, -0.316667]
        #expect(close(y.scalars, expected, tolerance: 2e-6))

        let dilated = Conv2d(4, 3, kernelSize: 2, dilation: 2, bias: false, rng: &rng)
        dilated.weight.assign(pattern([3, 4, 2, 2], 5, 2, 3))
        let expectedDilated: [Float] = [-0.5, 1.083333, 0.333333, 0.416667, -1.5, -0.5, 0.166667, 0.0, 0.416667,
                                        -0.333333, 0.166667, -1.666667, 0.416667, 0.333333, -0.333333, -0.0, 1.083333, 0.416667,
                                        0.666667, 0.083333, 0.083333, -1.666667, 0.083333, 0.666667, 0.666667, 0.083333, -1.666667]
        #expect(close(dilated(pattern([1, 4, 5, 5], 7, 3, 4)).scalars, expectedDilated, tolerance: 2e-6))
    }

    @Test("Conv1d and ConvTranspose2d match PyTorch")
    func otherConvValues() {
        var rng = SeededGenerator(seed: 3)
        let conv1 = Conv1d(2, 2, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        conv1.weight.assign(pattern([2, 2, 3], 5, 2, 3))
        conv1.bias!.assign(Tensor(shape: [2], data: [0.1, 0.2]))
        let expected1: [Float] = [1.35, 0.1, -0.233333, -0.216667, 0.283333, 0.116667, -0.233333, 1.016667, 0.1, 0.116667, -0.133333, 0.283333]
        #expect(close(conv1(pattern([2, 2, 6], 7, 3, 4)).scalars, expected1, tolerance: 2e-6))

        let t = ConvTranspose2d(4, 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, rng: &rng)
        t.weight.assign(pattern([4, 3, 3, 3], 5, 2, 3))
        t.bias!.assign(Tensor(shape: [3], data: [0.5, 0, -0.5]))
        let y = t(pattern([1, 4, 2, 3], 7, 3, 4))
        #expect(y.shape == [1, 3, 4, 6])
        let expectedT: [Float] = [-0.25, 1.916667, 0.333333, 1.916667, -0.25, -0.083333, 1.166667, -1.083333, 0.0, 1.25, 0.583333, 1.333333,
                                  0.916667, 0.166667, 0.916667, 0.166667, 0.916667, 0.25, 0.25, 0.25, 0.416667, 0.166667, 0.583333, 0.333333,
                                  -0.583333, -1.333333, 0.666667, 0.0, 0.75, -0.75, 0.083333, 1.75, -0.75, -0.666667, 0.166667, 0.083333,
                                  -0.333333, 0.333333, -0.25, 0.5, -0.166667, 0.416667, 0.25, -0.416667, 0.083333, -0.333333, -0.083333, 0.083333,
                                  -0.083333, -1.666667, -1.083333, 0.583333, -0.333333, 0.25, 0.666667, -0.833333, 0.583333, -2.166667, -0.666667, -0.333333,
                                  -0.75, -0.75, -0.583333, -0.833333, -0.416667, -0.666667, -0.583333, 0.166667, -0.666667, 0.0, -0.75, -0.583333]
        #expect(close(y.scalars, expectedT, tolerance: 2e-6))
    }

    @Test("pooling matches PyTorch")
    func poolingValues() {
        let x = pattern([1, 1, 5, 7], 11, 5, 3)
        let adaptive: [Float] = [-0.222222, 0.037037, -0.111111, -0.037037, 0.222222, 0.074074]
        #expect(close(AdaptiveAvgPool2d(outputSize: (2, 3))(x).scalars, adaptive, tolerance: 2e-6))
        let avgNoPad: [Float] = [-0.333333, 0.166667, -0.388889, -0.5, 0.111111, 0.0, -0.148148, -0.055556, 0.25, -0.166667, -0.111111, -0.833333]
        #expect(close(AvgPool2d(kernelSize: 3, stride: 2, padding: 1, countIncludePad: false)(x).scalars, avgNoPad, tolerance: 2e-6))
        let avgPad: [Float] = [-0.148148, 0.111111, -0.259259, -0.222222, 0.074074, 0.0, -0.148148, -0.037037, 0.111111, -0.111111, -0.074074, -0.37037]
        #expect(close(AvgPool2d(kernelSize: 3, stride: 2, padding: 1)(x).scalars, avgPad, tolerance: 2e-6))
        let maxPooled: [Float] = [1.0, 1.666667, 1.666667, 0.333333, 1.666667, 1.666667, 1.666667, 1.333333, 1.666667, 1.333333, 1.666667, 0.0]
        #expect(close(MaxPool2d(kernelSize: 3, stride: 2, padding: 1)(x).scalars, maxPooled, tolerance: 2e-6))
    }

    @Test("im2col and col2im with stride 1 and the input's width (one span per tap) equal the definition",
          arguments: [((3, 3), (1, 1), (1, 1)), ((5, 5), (2, 2), (1, 1)), ((3, 3), (2, 2), (2, 2)), ((3, 1), (1, 0), (1, 1)),
                      ((1, 3), (0, 1), (1, 1)), ((3, 3), (0, 1), (1, 1)), ((2, 5), (1, 2), (1, 1))])
    func flatSpanUnfoldFold(kernel: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) {
        let (n, c, h, w) = (2, 3, 5, 6)
        let g = WindowGeometry(kernel: kernel, padding: padding, dilation: dilation)
        let (ho, wo) = g.outputSize(height: h, width: w)
        #expect(wo == w)   // the layouts this test is about
        let (kh, kw) = kernel, rows = c * kh * kw, plane = ho * wo
        let x = randomTensor([n, c, h, w], seed: 41).scalars
        // The definition: col[(ch·kh + i)·kw + j][s·plane + oy·wo + ox] = x[s][ch][oy − p + i·d][ox − p + j·d] or 0.
        var expected = [Float](repeating: 0, count: rows * n * plane)
        for ch in 0..<c { for i in 0..<kh { for j in 0..<kw { for s in 0..<n { for oy in 0..<ho { for ox in 0..<wo {
            let y = oy - padding.0 + i * dilation.0, xx = ox - padding.1 + j * dilation.1
            guard (0..<h).contains(y), (0..<w).contains(xx) else { continue }
            expected[((ch * kh + i) * kw + j) * n * plane + s * plane + oy * wo + ox] = x[((s * c + ch) * h + y) * w + xx]
        } } } } } }
        var col = [Float](repeating: .nan, count: rows * n * plane)
        x.withUnsafeBufferPointer { xp in col.withUnsafeMutableBufferPointer { cp in
            Im2Col.unfold(image: xp.baseAddress!, batch: n, channels: c, height: h, width: w, geometry: g,
                          outHeight: ho, outWidth: wo, col: cp.baseAddress!)
        } }
        #expect(col == expected)
        // col2im is the adjoint: every column entry is added to the pixel it was read from (padding: nowhere).
        let dcol = randomTensor([rows * n * plane], seed: 42).scalars
        var reference = [Float](repeating: 0, count: n * c * h * w)
        for ch in 0..<c { for i in 0..<kh { for j in 0..<kw { for s in 0..<n { for oy in 0..<ho { for ox in 0..<wo {
            let y = oy - padding.0 + i * dilation.0, xx = ox - padding.1 + j * dilation.1
            guard (0..<h).contains(y), (0..<w).contains(xx) else { continue }
            reference[((s * c + ch) * h + y) * w + xx] += dcol[((ch * kh + i) * kw + j) * n * plane + s * plane + oy * wo + ox]
        } } } } } }
        var scratch = dcol
        var image = [Float](repeating: .nan, count: n * c * h * w)
        scratch.withUnsafeMutableBufferPointer { cp in image.withUnsafeMutableBufferPointer { ip in
            Im2Col.fold(col: cp.baseAddress!, batch: n, channels: c, height: h, width: w, geometry: g,
                        outHeight: ho, outWidth: wo, image: ip.baseAddress!)
        } }
        #expect(close(image, reference, tolerance: 1e-6))
    }

    @Test("convolution gradients (groups, stride, padding, dilation)")
    func convGradients() {
        var rng = SeededGenerator(seed: 4)
        let conv = Conv2d(4, 6, kernelSize: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2, rng: &rng)
        gradientCheck([randomTensor([2, 4, 5, 6], seed: 5), conv.weight, conv.bias!]) { xs in
            Convolution.forward(xs[0], dims: .init(n: 2, c: 4, h: 5, w: 6), weight: xs[1], bias: xs[2], geometry: conv.geometry,
                                groups: 2, outputShape: [2, 6] + [conv.outputSize(height: 5, width: 6).0, conv.outputSize(height: 5, width: 6).1])
        }
        // Stride 1, "same" width: the one-span im2col/col2im path.
        let same = Conv2d(3, 4, kernelSize: 3, padding: 1, rng: &rng)
        gradientCheck([randomTensor([2, 3, 4, 5], seed: 8), same.weight, same.bias!]) { xs in
            Convolution.forward(xs[0], dims: .init(n: 2, c: 3, h: 4, w: 5), weight: xs[1], bias: xs[2], geometry: same.geometry,
                                groups: 1, outputShape: [2, 4, 4, 5])
        }
        let conv1 = Conv1d(3, 2, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        gradientCheck([randomTensor([2, 3, 7], seed: 6), conv1.weight, conv1.bias!]) { xs in
            Convolution.forward(xs[0], dims: .init(n: 2, c: 3, h: 1, w: 7), weight: xs[1], bias: xs[2], geometry: conv1.geometry,
                                groups: 1, outputShape: [2, 2, 4])
        }
        let t = ConvTranspose2d(4, 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, rng: &rng)
        gradientCheck([randomTensor([2, 4, 3, 2], seed: 7), t.weight, t.bias!]) { xs in
            Convolution.transposedForward(xs[0], dims: .init(n: 2, c: 4, h: 3, w: 2), weight: xs[1], bias: xs[2],
                                          geometry: t.geometry, groups: 2, outHeight: 6, outWidth: 4)
        }
    }

    @Test("pooling gradients")
    func poolingGradients() {
        // Distinct values far apart, so the arg-max does not change under the finite-difference step.
        var rng = SeededGenerator(seed: 8)
        var values = (0..<(2 * 2 * 6 * 5)).map { Float($0) * 0.05 }
        values.shuffle(using: &rng)
        let x = Tensor(shape: [2, 2, 6, 5], data: values)
        gradientCheck([x]) { MaxPool2d(kernelSize: 3, stride: 2, padding: 1)($0[0]) }
        gradientCheck([x.copy()]) { MaxPool2d(kernelSize: 2)($0[0]) }
        gradientCheck([randomTensor([2, 2, 6, 5], seed: 9)]) { AvgPool2d(kernelSize: 3, stride: 2, padding: 1)($0[0]) }
        gradientCheck([randomTensor([2, 2, 6, 5], seed: 10)]) { AvgPool2d(kernelSize: 2, countIncludePad: false)($0[0]) }
        gradientCheck([randomTensor([2, 2, 7, 5], seed: 11)]) { AdaptiveAvgPool2d(outputSize: (3, 2))($0[0]) }
    }

    @Test("2×2 max pooling (vectorized rows and scalar tail) equals a plain reference, ties go to the first maximum")
    func maxPool2x2MatchesReference() {
        // Width 37: 18 outputs per row = two groups of eight plus a tail of two, and an odd column left over.
        // Values from a small set, so that windows have ties.
        let (n, c, h, w) = (2, 3, 6, 37)
        let (ho, wo) = (h / 2, w / 2)
        var rng = SeededGenerator(seed: 21)
        let values = (0..<(n * c * h * w)).map { _ in Float(Int(rng.next() % 4)) - 1.5 }
        let x = Tensor(shape: [n, c, h, w], data: values)
        x.requiresGrad = true
        let y = MaxPool2d(kernelSize: 2)(x)
        let weights = (0..<(n * c * ho * wo)).map { Float($0 % 7) + 1 }
        (y * Tensor(shape: y.shape, data: weights)).sum().backward()
        var expected = [Float](repeating: 0, count: n * c * ho * wo)
        var expectedGrad = [Float](repeating: 0, count: values.count)
        for plane in 0..<(n * c) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var best = -Float.infinity, at = -1
                    for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let k = plane * h * w + (2 * oy + i) * w + 2 * ox + j
                        if values[k] > best { best = values[k]; at = k }
                    }
                    let o = plane * ho * wo + oy * wo + ox
                    expected[o] = best
                    expectedGrad[at] += weights[o]
                }
            }
        }
        #expect(y.shape == [n, c, ho, wo])
        #expect(y.scalars == expected)
        #expect(x.grad?.scalars == expectedGrad)
    }

    @Test("convolution in chunks of samples, shared out in parts, equals the whole batch at once (values and all gradients), and passes the gradient check")
    func convolutionChunks() {
        var rng = SeededGenerator(seed: 31)
        let conv = Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, groups: 2, rng: &rng)
        let x = randomTensor([5, 4, 7, 6], seed: 32)
        let dims = Convolution.Shape4(n: 5, c: 4, h: 7, w: 6)
        // Chunk size and part count are passed in, not set through the shared settings (tests run in parallel).
        func run(chunkBytes: Int, parts: Int) -> [[Float]] {
            let input = x.copy()
            input.requiresGrad = true
            for p in conv.parameters() { p.grad = nil }
            let y = Convolution.forward(input, dims: dims, weight: conv.weight, bias: conv.bias, geometry: conv.geometry,
                                        groups: 2, outputShape: [5, 6, 4, 3], chunkBytes: chunkBytes, parts: parts)
            (y * y).sum().backward()
            return [y.scalars, input.grad!.scalars, conv.weight.grad!.scalars, conv.bias!.grad!.scalars]
        }
        let whole = run(chunkBytes: 1 << 30, parts: 1)
        #expect(whole[0] == conv(x).scalars)   // the module computes the same
        let pairs = run(chunkBytes: 2 * 4 * 36 * 4 * 4 - 1, parts: 1)   // chunks of 2, 2 and 1 samples
        // One sample per chunk, in 1, 2 and 3 parts: the same within rounding (the weight and bias gradients
        // are summed per part), and the same bits again for the same part count.
        let byParts = [1, 2, 3, 2].map { run(chunkBytes: 1, parts: $0) }
        for k in 0..<4 {
            #expect(close(whole[k], pairs[k], tolerance: 1e-5), "result \(k), chunks of 2")
            for (i, parts) in [1, 2, 3].enumerated() {
                #expect(close(whole[k], byParts[i][k], tolerance: 1e-5), "result \(k), single samples in \(parts) parts")
            }
            #expect(byParts[1][k] == byParts[3][k], "result \(k) differs between two runs in 2 parts")
        }
        #expect(whole[2].contains { $0 != 0 })
        gradientCheck([x.copy(), conv.weight, conv.bias!]) { xs in
            Convolution.forward(xs[0], dims: dims, weight: xs[1], bias: xs[2], geometry: conv.geometry, groups: 2,
                                outputShape: [5, 6, 4, 3], chunkBytes: 1, parts: 2)
        }
    }
}
