import Testing
@testable import DelveNN

/// Compares autograd gradients with central finite differences.
///
/// The scalar checked is L = Σᵢ wᵢ·fᵢ(inputs) with fixed pseudo-random weights w, accumulated in
/// Double; every input element is perturbed by ±h in place and restored afterwards, so `f` may also
/// read the inputs through a module that owns them (its parameters).
func gradientCheck(_ inputs: [Tensor], step h: Float = 1e-2, absoluteTolerance: Double = 2e-3,
                   relativeTolerance: Double = 2e-2, seed: UInt64 = 99,
                   sourceLocation: SourceLocation = #_sourceLocation,
                   _ f: ([Tensor]) -> Tensor) {
    for x in inputs { x.requiresGrad = true; x.grad = nil }
    let out = f(inputs)
    var rng = SeededGenerator(seed: seed)
    let weights = Tensor.uniform(out.shape, low: -1, high: 1, using: &rng)
    out.backward(gradient: weights)
    let w = weights.scalars.map(Double.init)

    func loss(_ xs: [Tensor]) -> Double {
        let y = GradMode.withoutGrad { f(xs) }
        return zip(y.scalars, w).reduce(0) { $0 + Double($1.0) * $1.1 }
    }
    for (index, x) in inputs.enumerated() {
        let analytic = x.grad?.scalars ?? [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let element = x.storage.pointer + i
            let original = element.pointee
            element.pointee = original + h
            let plus = loss(inputs)
            element.pointee = original - h
            let minus = loss(inputs)
            element.pointee = original
            let numeric = (plus - minus) / (2 * Double(h))
            let a = Double(analytic[i])
            let ok = Swift.abs(a - numeric) <= absoluteTolerance + relativeTolerance * Swift.abs(numeric)
            #expect(ok, "input \(index) element \(i): autograd \(a), finite difference \(numeric)", sourceLocation: sourceLocation)
            if !ok { return }
        }
    }
}

/// A tensor of the given shape with values from U(low, high), seeded.
func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}

/// Whether two float arrays agree within `tolerance` elementwise.
func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tolerance * max(1, Swift.abs($1)) }
}
