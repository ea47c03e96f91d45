import Foundation
import Testing
@testable import DelveNN

@Suite("Embedding")
struct EmbeddingTests {
    @Test("lookup copies rows; Float-index tensor and [Int] give the same result and shape")
    func lookup() {
        var rng = SeededGenerator(seed: 1)
        let embedding = Embedding(count: 5, dimensions: 3, rng: &rng)
        let table = embedding.weight.scalars
        let a = embedding(Tensor(shape: [2, 2], data: [4, 0, 4, 2]))
        let b = embedding.lookup([4, 0, 4, 2], shape: [2, 2])
        #expect(a.shape == [2, 2, 3])
        #expect(a.scalars == b.scalars)
        #expect(a.scalars == Array(table[12..<15] + table[0..<3] + table[12..<15] + table[6..<9]))
        #expect(embedding.namedParameters().map(\.path) == ["weight"])
    }

    @Test("the gradient sums the output gradients of repeated indices; unused rows get zero")
    func gradient() throws {
        let embedding = Embedding(count: 4, dimensions: 2)
        let y = embedding.lookup([1, 3, 1])
        let w = Tensor(shape: [3, 2], data: [1, 2, 3, 4, 5, 6])
        (y * w).sum().backward()
        #expect(try #require(embedding.weight.grad).scalars == [0, 0, 1 + 5, 2 + 6, 0, 0, 3, 4])
    }

    @Test("gradient matches finite differences of a nonlinear loss")
    func finiteDifferences() throws {
        var rng = SeededGenerator(seed: 2)
        let embedding = Embedding(count: 4, dimensions: 3, rng: &rng)
        let indices = Tensor(shape: [5], data: [2, 0, 2, 3, 2])
        func loss() -> Tensor { (embedding(indices).squared() * embedding(indices)).sum() }   // Σ e³
        loss().backward()
        let analytic = try #require(embedding.weight.grad).scalars
        let error = GradMode.withoutGrad { floatFiniteDifferenceError(embedding.weight, analytic: analytic, step: 1e-2) { loss().item } }
        #expect(error < 2e-3)
    }

    @Test("initialization is N(0, 1)")
    func initialization() {
        var rng = SeededGenerator(seed: 3)
        let values = Embedding(count: 200, dimensions: 50, rng: &rng).weight.scalars
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        #expect(abs(mean) < 0.05)
        #expect(abs(variance - 1) < 0.05)
    }
}
