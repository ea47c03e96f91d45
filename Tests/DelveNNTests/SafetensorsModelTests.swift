import Foundation
import Testing
@testable import DelveNN

/// A small model with nested children: embedding → LSTM → linear head.
private final class Tagger: Module {
    let embed: Embedding
    let lstm: LSTM
    let head: Linear

    init(hidden: Int, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        embed = Embedding(count: 6, dimensions: 3, rng: &rng)
        lstm = LSTM(inputSize: 3, hiddenSize: hidden, batchFirst: true, rng: &rng)
        head = Linear(hidden, 2, rng: &rng)
        super.init()
    }

    override func forward(_ input: Tensor) -> Tensor { head(lstm(embed(input))) }
}

@Suite("Module weights in safetensors files")
struct SafetensorsModelTests {
    static func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("delve-\(UUID().uuidString).safetensors")
    }

    @Test("save then load into a differently initialized model reproduces parameters and outputs")
    func roundTrip() throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let a = Tagger(hidden: 4, seed: 1), b = Tagger(hidden: 4, seed: 2)
        let tokens = Tensor(shape: [2, 3], data: [0, 5, 2, 1, 1, 4])
        #expect(a(tokens).scalars != b(tokens).scalars)
        try a.saveSafetensors(to: url)
        try b.loadSafetensors(from: url)
        for ((pathA, ta), (pathB, tb)) in zip(a.namedParameters(), b.namedParameters()) {
            #expect(pathA == pathB)
            #expect(ta.scalars == tb.scalars)
        }
        #expect(a(tokens).scalars == b(tokens).scalars)
        let (tensors, metadata) = try Safetensors.read(contentsOf: url)
        #expect(metadata == ["format": "pt"])
        #expect(Set(tensors.keys) == ["embed.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0",
                                      "lstm.bias_hh_l0", "head.weight", "head.bias"])
    }

    @Test("shape mismatch, missing and unexpected names are all listed; the model is unchanged")
    func mismatch() throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try Tagger(hidden: 5, seed: 1).saveSafetensors(to: url)
        let model = Tagger(hidden: 4, seed: 2)
        let before = model.namedParameters().map(\.tensor.scalars)
        do {
            try model.loadSafetensors(from: url)
            Issue.record("loading mismatched weights succeeded")
        } catch {
            guard case let .modelMismatch(file, missing, unexpected, shapes) = error else { Issue.record("\(error)"); return }
            #expect(file == url.path)
            #expect(missing.isEmpty && unexpected.isEmpty)
            #expect(shapes.contains("lstm.weight_hh_l0: model [16, 4], file [20, 5]"))
            #expect(shapes.count == 5)   // 4 LSTM tensors + head.weight; embed and head.bias fit
        }
        #expect(model.namedParameters().map(\.tensor.scalars) == before)

        var arrays = model.stateArrays()
        arrays["extra.weight"] = (shape: [1], values: [0])
        arrays["head.bias"] = nil
        arrays["embed.weight"] = (shape: [6, 3], values: [Float](repeating: 7, count: 18))
        do {
            try model.loadState(arrays, file: "state.safetensors")
            Issue.record("loading mismatched weights succeeded")
        } catch {
            #expect(error == .modelMismatch(file: "state.safetensors", missing: ["head.bias"], unexpected: ["extra.weight"], shapeMismatches: []))
            #expect(error.description.contains("missing from the file: head.bias"))
            #expect(error.description.contains("not in the model: extra.weight"))
        }
        #expect(model.namedParameters().map(\.tensor.scalars) == before)

        // PyTorch's BatchNorm counter is ignored when the model has no such tensor.
        var withCounter = model.stateArrays()
        withCounter["bn.num_batches_tracked"] = (shape: [], values: [12])
        try model.loadState(withCounter)
        #expect(model.namedParameters().map(\.tensor.scalars) == before)
    }

    @Test("a malformed file is reported and the model is unchanged")
    func badFile() throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([9, 0, 0, 0, 0, 0, 0, 0, 123]).write(to: url)
        let model = Tagger(hidden: 3, seed: 4)
        let before = model.namedParameters().map(\.tensor.scalars)
        #expect(throws: SafetensorsError.self) { try model.loadSafetensors(from: url) }
        #expect(model.namedParameters().map(\.tensor.scalars) == before)
    }

    /// `torch.manual_seed(3); nn.LSTM(2, 3, batch_first=True)`, its `state_dict()` saved with
    /// `safetensors.torch.save`; on x = [[[0.5, −1], [0.25, 2]]] PyTorch outputs the values below.
    static let torchLSTMFile: [UInt8] = [16,1,0,0,0,0,0,0,123,34,98,105,97,115,95,104,104,95,108,48,34,58,123,34,100,116,121,112,101,34,58,34,70,51,50,34,44,34,115,104,97,112,101,34,58,91,49,50,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,48,44,52,56,93,125,44,34,98,105,97,115,95,105,104,95,108,48,34,58,123,34,100,116,121,112,101,34,58,34,70,51,50,34,44,34,115,104,97,112,101,34,58,91,49,50,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,52,56,44,57,54,93,125,44,34,119,101,105,103,104,116,95,104,104,95,108,48,34,58,123,34,100,116,121,112,101,34,58,34,70,51,50,34,44,34,115,104,97,112,101,34,58,91,49,50,44,51,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,57,54,44,50,52,48,93,125,44,34,119,101,105,103,104,116,95,105,104,95,108,48,34,58,123,34,100,116,121,112,101,34,58,34,70,51,50,34,44,34,115,104,97,112,101,34,58,91,49,50,44,50,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,50,52,48,44,51,51,54,93,125,125,32,116,23,134,190,61,15,13,60,195,163,181,62,177,91,76,62,123,66,143,61,156,46,247,62,59,189,6,62,34,228,198,62,110,192,254,190,124,185,254,190,171,103,5,191,255,221,5,61,16,199,209,62,51,140,40,61,138,157,218,190,190,5,131,190,151,99,221,190,90,213,244,190,195,63,103,60,158,214,211,190,203,138,157,62,116,51,132,62,70,89,254,61,46,145,243,62,227,170,188,190,248,159,184,190,186,15,117,190,34,197,235,61,153,234,223,190,60,188,227,190,155,94,141,190,111,107,180,62,39,54,213,190,17,144,4,191,216,25,0,191,72,118,145,190,164,86,27,190,250,133,18,191,215,101,138,190,135,249,53,60,247,233,194,61,112,130,169,189,116,17,134,189,219,79,192,190,121,112,151,62,178,108,14,190,229,27,202,190,128,96,14,190,144,48,165,189,132,168,8,63,91,14,154,62,208,184,110,190,73,192,167,189,153,155,2,63,13,232,189,62,127,104,19,62,84,19,84,190,247,246,245,62,118,74,125,62,130,167,131,190,150,138,18,191,165,48,233,190,3,57,125,190,111,213,11,191,21,65,6,189,246,7,2,191,153,186,160,62,162,19,144,62,48,74,223,61,174,77,229,62,215,154,103,189,148,15,177,62,51,4,207,190,89,2,233,189,107,201,3,191,199,255,63,189,203,200,191,190,171,199,4,63,76,86,205,62,21,158,221,62,62,93,47,62,27,163,168,190,233,208,4,63,233,56,16,191]

    @Test("loads a PyTorch LSTM state_dict written by safetensors and reproduces its output")
    func loadsPyTorchLSTM() throws {
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, batchFirst: true)
        try lstm.loadState(try Safetensors.decode(Self.torchLSTMFile).tensors)
        let output = lstm(Tensor(shape: [1, 2, 2], data: [0.5, -1, 0.25, 2]))
        #expect(maxDifference(output.scalars, [0.012721447, -0.071465619, -0.3212364, -0.034337044, -0.039926838, -0.054973233]) < 1e-6)
    }
}
