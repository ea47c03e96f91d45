import Testing
import Delve
import DelveNN
@testable import DelveNNTracking

@Suite("Structural ceilings and multiply-adds")
struct ModelStructureTests {
    func only(_ layers: [LayerStructure], _ name: String) throws -> LayerStructure {
        try #require(layers.first { $0.name == name })
    }

    @Test("convolutions: C_in·k_h·k_w, fewer taps on a map smaller than the kernel; linear: input width")
    func convolutionsAndLinear() throws {
        var rng = SeededGenerator(seed: 1)
        // 1×8×8 → conv 3×3 pad 1 (32) → max pool 8 → 32×1×1 → conv 3×3 pad 1 (16) → flatten → linear 16 → 40.
        let model = Sequential(Conv2d(1, 32, kernelSize: 3, padding: 1, rng: &rng), MaxPool2d(kernelSize: 8),
                               Conv2d(32, 16, kernelSize: 3, padding: 1, rng: &rng), Flatten(), Linear(16, 40, rng: &rng))
        let layers = ModelStructure.layers(of: model, sampleShape: [1, 8, 8])
        #expect(layers.map(\.name) == ["0", "2", "4"])
        let first = try only(layers, "0")
        #expect(first.ceiling == 9)  // 1 channel × 3 × 3
        #expect(first.reason == "1 input channel × 3×3 kernel")
        #expect(first.multiplyAdds == 32 * 64 * 9)
        let onePixel = try only(layers, "2")
        #expect(onePixel.ceiling == 32)  // only the centre tap reaches a 1×1 map: 32 × 1 × 1
        #expect(onePixel.reason.contains("1×1 of the 3×3 kernel on 1×1 inputs"))
        #expect(onePixel.multiplyAdds == 16 * 1 * 32 * 9)
        let linear = try only(layers, "4")
        #expect(linear.ceiling == 16)
        #expect(linear.multiplyAdds == 16 * 40)
        // Without a sample shape the kernel alone bounds the ceiling and the cost is unknown.
        let shapeOnly = ModelStructure.layers(of: model)
        #expect(shapeOnly.map(\.ceiling) == [9, 32 * 9, 16])
        #expect(shapeOnly.allSatisfy { $0.multiplyAdds == 0 })
        #expect(model.training)
    }

    @Test("Conv1d: C_in·k; ConvTranspose2d: C_in·k_h·k_w")
    func otherConvolutions() throws {
        var rng = SeededGenerator(seed: 2)
        let conv1d = Sequential(Conv1d(3, 8, kernelSize: 5, rng: &rng))
        let c1 = try only(ModelStructure.layers(of: conv1d, sampleShape: [3, 20]), "0")
        #expect(c1.ceiling == 15)
        #expect(c1.multiplyAdds == 8 * 16 * 3 * 5)
        let transpose = Sequential(ConvTranspose2d(4, 2, kernelSize: 3, rng: &rng))
        let t = try only(ModelStructure.layers(of: transpose, sampleShape: [4, 5, 5]), "0")
        #expect(t.ceiling == 36)
    }

    @Test("LSTM and GRU: the hidden size; gates·H·(input + H) multiply-adds per step")
    func recurrent() throws {
        let lstm = Sequential(LSTM(inputSize: 6, hiddenSize: 10, batchFirst: true))
        let l = try only(ModelStructure.layers(of: lstm, sampleShape: [7, 6]), "0")
        #expect(l.ceiling == 10)
        #expect(l.multiplyAdds == 7 * 4 * 10 * 16)
        let gru = Sequential(GRU(inputSize: 6, hiddenSize: 10, batchFirst: true))
        let g = try only(ModelStructure.layers(of: gru, sampleShape: [7, 6]), "0")
        #expect(g.ceiling == 10)
        #expect(g.multiplyAdds == 7 * 3 * 10 * 16)
    }

    @Test("used taps: a 3×3 kernel with padding 1 reaches 1 row of a 1-row map, 3 of a 2-row map")
    func usedTaps() {
        #expect(ModelStructure.usedTaps(input: 1, output: 1, kernel: 3, stride: 1, padding: 1, dilation: 1) == 1)
        #expect(ModelStructure.usedTaps(input: 2, output: 2, kernel: 3, stride: 1, padding: 1, dilation: 1) == 3)
        #expect(ModelStructure.usedTaps(input: 8, output: 8, kernel: 3, stride: 1, padding: 1, dilation: 1) == 3)
    }
}
