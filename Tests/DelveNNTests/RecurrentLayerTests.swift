import Foundation
import Testing
@testable import DelveNN

/// Sets every parameter of `module` to 0.5·sin(0.37·k + 1.3·p) (k: flat index, p: parameter number in
/// PyTorch's `named_parameters()` order) — the same formula the PyTorch reference script used.
func setFormulaWeights(_ module: Module) {
    for (p, (_, tensor)) in module.namedParameters().enumerated() {
        tensor.withUnsafeMutableBufferPointer { buffer in
            for k in buffer.indices { buffer[k] = Float(0.5 * sin(0.37 * Double(k) + 1.3 * Double(p))) }
        }
    }
}

/// A tensor filled from a formula of the flat index.
func formulaTensor(_ shape: [Int], requiresGrad: Bool = false, _ f: (Double) -> Double) -> Tensor {
    let count = shape.reduce(1, *)
    return Tensor(shape: shape, data: (0..<count).map { Float(f(Double($0))) }, requiresGrad: requiresGrad)
}

/// Largest absolute difference of two equally long arrays (infinity when the lengths differ).
func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Checks the gradient `analytic` of `loss` with respect to `tensor` by central differences in Float.
func floatFiniteDifferenceError(_ tensor: Tensor, analytic: [Float], step: Float = 1e-2, loss: () -> Float) -> Float {
    var worst: Float = 0
    for k in 0..<tensor.count {
        let saved = tensor.scalars[k]
        tensor.withUnsafeMutableBufferPointer { $0[k] = saved + step }
        let up = loss()
        tensor.withUnsafeMutableBufferPointer { $0[k] = saved - step }
        let down = loss()
        tensor.withUnsafeMutableBufferPointer { $0[k] = saved }
        worst = max(worst, abs((up - down) / (2 * step) - analytic[k]))
    }
    return worst
}

@Suite("LSTM and GRU modules")
struct RecurrentLayerTests {
    // Reference values: /tmp/pt/bin/python with torch 2.x, float64, nn.LSTM / nn.GRU(3, 4, num_layers=2,
    // batch_first=True), weights from `setFormulaWeights`, x[k] = cos(0.23k) shaped [2, 3, 3],
    // loss = Σ out ⊙ sin(0.11k + 0.5) + 0.3·Σ h_n (− 0.2·Σ c_n for the LSTM).
    static let lstmOutput: [Float] = [-0.191030936, -0.18963958, -0.154283379, -0.00956597863, -0.263513084, -0.243613081, -0.202128631, 0.0595067005, -0.295262351, -0.270206872, -0.195909181, 0.0799498962, -0.222435793, -0.173363934, -0.0569593903, -0.032361507, -0.29297566, -0.250060787, -0.104839535, 0.0152263045, -0.314879718, -0.275271294, -0.133930285, 0.0537190763]
    static let lstmH: [Float] = [-0.039161589, -0.0346865081, 0.097202077, 0.213461337, -0.0424835864, 0.0995229852, 0.131540854, 0.259277861, -0.295262351, -0.270206872, -0.195909181, 0.0799498962, -0.314879718, -0.275271294, -0.133930285, 0.0537190763]
    static let lstmC: [Float] = [-0.0607433603, -0.0536357706, 0.140606663, 0.3273834, -0.0891403198, 0.211700698, 0.200091034, 0.329550523, -0.560896769, -0.503672868, -0.314324691, 0.111284979, -0.64207339, -0.513747312, -0.203756521, 0.0743162012]
    static let lstmDX: [Float] = [0.0173801358, 0.00927806649, -7.97456168e-05, 0.0279823602, 0.0175942684, 0.00482487497, -0.00208987751, -0.0202758846, -0.0357176458, 0.0121626646, 0.00225349736, -0.00796067021, 0.00784795999, 0.00415485521, -0.000100589739, -0.00187119778, -0.00650642645, -0.0102610408]
    static let lstmDWIH0: [Float] = [0.00350582665, 0.00550021407, 0.00720492057, -0.0101157427, -0.0137463582, -0.0166529913, -0.0134490133, -0.0187405101, -0.0230449965, -0.0338127867, -0.0323558709, -0.0291948617, 0.00114732752, 0.00108771425, 0.000970814107, -0.00242460254, -0.000904555532, 0.000663131895, 0.000547370832, 0.000177704736, -0.000201320573, -0.00507746286, -0.00375857039, -0.00224172451, 0.045854424, 0.0169953153, -0.0127588894, 0.0121081434, 0.00242379361, -0.0073882106, -0.036684804, -0.0354499697, -0.0323480844, -0.0618969274, -0.0630481533, -0.0608788089, 0.0109421483, 0.0123729061, 0.0131520175, -0.0284938803, -0.0273097017, -0.0246871972, -0.0146437305, -0.0179238314, -0.0202599342, -0.0236774621, -0.0254965045, -0.0259727171]
    static let lstmDBHH1: [Float] = [-0.29228753, -0.305656866, -0.225211014, 0.0462432756, -0.121606045, -0.0949790461, -0.0837443106, 0.00830937969, 0.909182696, 0.914695811, 1.33289377, 1.57260684, -0.557905706, -0.435976229, -0.228498019, 0.039725976]
    static let gruOutput: [Float] = [-0.149708686, -0.366464122, -0.477265145, -0.115695405, -0.185060616, -0.579815171, -0.638054369, 0.00978637958, -0.371326769, -0.602549067, -0.524763918, 0.0487845122, -0.531226314, -0.166998751, 0.0703681061, -0.26169441, -0.758876455, -0.350836359, 0.172562116, -0.233280397, -0.818216952, -0.463152515, 0.195630978, -0.169238721]
    static let gruH: [Float] = [-0.239876784, -0.193586019, 0.0735813055, 0.282747828, -0.129267989, 0.656628399, 0.795072161, 0.265922462, -0.371326769, -0.602549067, -0.524763918, 0.0487845122, -0.818216952, -0.463152515, 0.195630978, -0.169238721]
    static let gruDX: [Float] = [0.033730057, 0.00282104935, -0.0284697741, 0.00255948038, -0.0195012701, -0.0389226152, -0.0773942414, -0.133480432, -0.171500672, -0.0659387683, -0.0846672293, -0.091936378, -0.0282998008, -0.0247386131, -0.0178291701, -0.104132223, -0.0739266261, -0.0337154068]
    static let gruDWIH0: [Float] = [-0.0272801263, -0.0271155525, -0.0255228783, -0.00858458814, -0.0108407704, -0.0125259995, 0.00808593513, 8.86565047e-05, -0.00791329141, -0.0206589355, -0.0291184431, -0.0360443636, -0.00523426559, -0.0136923307, -0.021429259, 0.0547057913, 0.0690838746, 0.079823503, 0.0146515168, 0.0296882364, 0.0431613594, 0.0065315313, 0.0125029428, 0.0178158593, 0.0770078352, -0.0172098346, -0.11052111, -0.0880682394, -0.154329453, -0.212462566, -0.130274635, -0.16895997, -0.198746655, -0.448758902, -0.485956047, -0.497559242]
    static let gruDBHH1: [Float] = [-0.1219802, -0.283406836, 0.0236488255, 0.529203097, 0.48653684, 0.325277959, 0.0169726456, 0.00237713567, 1.44680346, 1.70962194, 1.80280477, 1.95281946]

    static func outputWeights(_ shape: [Int]) -> Tensor { formulaTensor(shape) { sin(0.11 * $0 + 0.5) } }

    @Test("parameter names, shapes and order are PyTorch's")
    func names() {
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2)
        #expect(lstm.namedParameters().map(\.path) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                                       "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"])
        #expect(lstm.namedParameters().map(\.tensor.shape) == [[16, 3], [16, 4], [16], [16], [16, 4], [16, 4], [16], [16]])
        let gru = GRU(inputSize: 3, hiddenSize: 4, bias: false)
        #expect(gru.namedParameters().map(\.path) == ["weight_ih_l0", "weight_hh_l0"])
        #expect(gru.namedParameters().map(\.tensor.shape) == [[12, 3], [12, 4]])
    }

    @Test("initialization is U(−1/√H, 1/√H) for every parameter")
    func initialization() {
        var rng = SeededGenerator(seed: 5)
        let lstm = LSTM(inputSize: 10, hiddenSize: 16, rng: &rng)
        let values = lstm.parameters().flatMap(\.scalars)
        let bound: Float = 0.25
        #expect(values.allSatisfy { abs($0) <= bound })
        #expect(values.max()! > 0.9 * bound && values.min()! < -0.9 * bound)
        #expect(abs(values.reduce(0, +) / Float(values.count)) < 0.02)
    }

    @Test("LSTM matches PyTorch: outputs, final states and gradients (2 layers, batch first)")
    func lstmMatchesPyTorch() throws {
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true)
        setFormulaWeights(lstm)
        let x = formulaTensor([2, 3, 3], requiresGrad: true) { cos(0.23 * $0) }
        let (output, state) = lstm.run(x)
        #expect(output.shape == [2, 3, 4])
        #expect(state.h.shape == [2, 2, 4] && state.c.shape == [2, 2, 4])
        #expect(maxDifference(output.scalars, Self.lstmOutput) < 2e-6)
        #expect(maxDifference(state.h.scalars, Self.lstmH) < 2e-6)
        #expect(maxDifference(state.c.scalars, Self.lstmC) < 2e-6)
        let loss = (output * Self.outputWeights(output.shape)).sum() + state.h.sum() * 0.3 + state.c.sum() * -0.2
        loss.backward()
        let parameters = Dictionary(uniqueKeysWithValues: lstm.namedParameters().map { ($0.path, $0.tensor) })
        #expect(maxDifference(try #require(x.grad).scalars, Self.lstmDX) < 2e-6)
        #expect(maxDifference(try #require(parameters["weight_ih_l0"]?.grad).scalars, Self.lstmDWIH0) < 2e-6)
        #expect(maxDifference(try #require(parameters["bias_hh_l1"]?.grad).scalars, Self.lstmDBHH1) < 1e-5)
        #expect(maxDifference(try #require(parameters["bias_ih_l1"]?.grad).scalars, Self.lstmDBHH1) < 1e-5)
    }

    @Test("GRU matches PyTorch: outputs, final state and gradients (2 layers, batch first)")
    func gruMatchesPyTorch() throws {
        let gru = GRU(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true)
        setFormulaWeights(gru)
        let x = formulaTensor([2, 3, 3], requiresGrad: true) { cos(0.23 * $0) }
        let (output, state) = gru.run(x)
        #expect(output.shape == [2, 3, 4] && state.shape == [2, 2, 4])
        #expect(maxDifference(output.scalars, Self.gruOutput) < 2e-6)
        #expect(maxDifference(state.scalars, Self.gruH) < 2e-6)
        let loss = (output * Self.outputWeights(output.shape)).sum() + state.sum() * 0.3
        loss.backward()
        let parameters = Dictionary(uniqueKeysWithValues: gru.namedParameters().map { ($0.path, $0.tensor) })
        #expect(maxDifference(try #require(x.grad).scalars, Self.gruDX) < 2e-6)
        #expect(maxDifference(try #require(parameters["weight_ih_l0"]?.grad).scalars, Self.gruDWIH0) < 2e-6)
        #expect(maxDifference(try #require(parameters["bias_hh_l1"]?.grad).scalars, Self.gruDBHH1) < 1e-5)
    }

    @Test("batchFirst true and false give the same result on transposed input, forward equals run")
    func batchFirstEquivalence() {
        for kind in ["LSTM", "GRU"] {
            var rng1 = SeededGenerator(seed: 11), rng2 = SeededGenerator(seed: 11)
            let first: Module = kind == "LSTM" ? LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, batchFirst: true, rng: &rng1)
                                               : GRU(inputSize: 3, hiddenSize: 5, numLayers: 2, batchFirst: true, rng: &rng1)
            let second: Module = kind == "LSTM" ? LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, batchFirst: false, rng: &rng2)
                                                : GRU(inputSize: 3, hiddenSize: 5, numLayers: 2, batchFirst: false, rng: &rng2)
            let x = formulaTensor([2, 4, 3]) { sin(0.7 * $0) }          // [N, T, I]
            let a = first(x)
            let b = second(x.permuted([1, 0, 2]))                      // [T, N, I]
            #expect(a.shape == [2, 4, 5] && b.shape == [4, 2, 5])
            #expect(maxDifference(a.scalars, b.permuted([1, 0, 2]).scalars) == 0, "\(kind)")
        }
    }

    @Test("forward hooks see the all-timestep output; works inside Sequential")
    func hooksAndSequential() {
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, batchFirst: true)
        var seen: [[Int]] = []
        lstm.registerForwardHook { _, _, output in seen.append(output.shape) }
        let model = Sequential([lstm, Linear(3, 1)])
        let y = model(formulaTensor([4, 5, 2]) { cos($0) })
        #expect(y.shape == [4, 5, 1])
        #expect(seen == [[4, 5, 3]])
    }

    /// A 2-layer LSTM with an initial state: loss of the last timestep through the differentiable selection.
    @Test("LSTM gradients of weights, input and initial state match finite differences (Float, T=3 N=2 I=3 H=4, 2 layers)")
    func lstmFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 21)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true, rng: &rng)
        let x = formulaTensor([2, 3, 3], requiresGrad: true) { sin(1.3 * $0) }
        let h0 = formulaTensor([2, 2, 4], requiresGrad: true) { 0.3 * cos(0.9 * $0) }
        let c0 = formulaTensor([2, 2, 4], requiresGrad: true) { 0.4 * sin(0.5 * $0 + 1) }
        let w = formulaTensor([2, 4]) { cos(0.4 * $0) }
        func loss() -> Tensor {
            let (output, state) = lstm.run(x, initialState: (h0, c0))
            let last = output.selected(axis: 1, index: 2)               // [N, H], the last timestep
            return (last * w).sum() + (state.c * state.c).sum() * 0.5
        }
        loss().backward()
        for tensor in lstm.parameters() + [x, h0, c0] {
            let analytic = try #require(tensor.grad).scalars
            let error = GradMode.withoutGrad { floatFiniteDifferenceError(tensor, analytic: analytic) { loss().item } }
            #expect(error < 2e-3, "shape \(tensor.shape): max error \(error)")
        }
    }

    @Test("GRU gradients of weights, input and initial state match finite differences (Float, T=3 N=2 I=3 H=4, 2 layers)")
    func gruFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 22)
        let gru = GRU(inputSize: 3, hiddenSize: 4, numLayers: 2, rng: &rng)
        let x = formulaTensor([3, 2, 3], requiresGrad: true) { sin(1.3 * $0) }
        let h0 = formulaTensor([2, 2, 4], requiresGrad: true) { 0.3 * cos(0.9 * $0) }
        let w = formulaTensor([3, 2, 4]) { cos(0.4 * $0) }
        func loss() -> Tensor {
            let (output, state) = gru.run(x, initialState: h0)
            return (output * w).sum() + (state * state).sum()
        }
        loss().backward()
        for tensor in gru.parameters() + [x, h0] {
            let analytic = try #require(tensor.grad).scalars
            let error = GradMode.withoutGrad { floatFiniteDifferenceError(tensor, analytic: analytic) { loss().item } }
            #expect(error < 2e-3, "shape \(tensor.shape): max error \(error)")
        }
    }

    @Test("no-grad mode records nothing")
    func noGrad() {
        let gru = GRU(inputSize: 2, hiddenSize: 3)
        let y = GradMode.withoutGrad { gru(formulaTensor([2, 1, 2]) { $0 }) }
        #expect(!y.requiresGrad)
    }
}
