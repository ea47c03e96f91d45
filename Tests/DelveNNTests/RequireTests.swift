import Testing
@testable import DelveNN

@Suite("Argument checks")
struct RequireTests {
    @Test("a wrong input shape stops the program with a message naming the layer and both shapes (optimized builds too)")
    func wrongShapeMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var rng = SeededGenerator(seed: 1)
            let layer = Linear(4, 2, rng: &rng)
            _ = layer(Tensor.zeros([3, 5]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("Linear: expected input [..., 4], got [3, 5]"), "stderr: \(text.prefix(400))")
    }

    @Test("a passing check does not stop the program")
    func passingCheck() {
        var rng = SeededGenerator(seed: 1)
        let out = Linear(4, 2, rng: &rng)(Tensor.zeros([3, 4]))
        #expect(out.shape == [3, 2])
    }
}
