import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("Tail-pattern advice")
struct TailPatternTests {
    func layers(_ saturations: [Double]) -> [(name: String, saturation: Double)] {
        saturations.enumerated().map { ("conv\($0.offset + 1)", $0.element) }
    }

    @Test("a deep network whose last layers idle shows the pattern")
    func detects() throws {
        // 6 productive layers, 3 idle ones, then the classifier (set aside).
        let sats = [0.55, 0.6, 0.5, 0.45, 0.5, 0.4, 0.08, 0.05, 0.04, 0.9]
        let pattern = try #require(TailPatternRule().detect(layers(sats)))
        #expect(pattern.layers == ["conv7", "conv8", "conv9"])
        #expect(pattern.saturations == [0.08, 0.05, 0.04])
        #expect(abs(pattern.referenceSaturation - 0.5) < 1e-12)
        #expect(pattern.advice.contains("conv7") && pattern.advice.contains("remove"))
    }

    @Test("the longest low run is reported")
    func longestRun() throws {
        let sats = [0.6, 0.6, 0.6, 0.2, 0.1, 0.1, 0.5]
        let pattern = try #require(TailPatternRule().detect(layers(sats)))
        #expect(pattern.layers == ["conv4", "conv5", "conv6"])
    }

    @Test("no pattern: healthy, too short, uniformly low, or not low enough")
    func silent() {
        let rule = TailPatternRule()
        #expect(rule.detect(layers([0.5, 0.45, 0.5, 0.4, 0.42, 0.9])) == nil)          // healthy
        #expect(rule.detect(layers([0.5, 0.5, 0.5, 0.5, 0.05, 0.9])) == nil)           // one low layer only
        #expect(rule.detect(layers([0.05, 0.04, 0.05, 0.04, 0.05, 0.9])) == nil)       // low everywhere: no tail
        #expect(rule.detect(layers([0.6, 0.6, 0.6, 0.35, 0.32, 0.9])) == nil)          // above half the median
        #expect(rule.detect(layers([0.6, 0.1, 0.1])) == nil)                           // too few layers
        #expect(rule.detect(layers([0.6, 0.6, 0.1, .nan, 0.9])) == nil)                // unusable input
    }

    @Test("the output layer can be included")
    func outputLayer() throws {
        var rule = TailPatternRule()
        rule.includeOutputLayer = true
        let sats = [0.6, 0.5, 0.6, 0.1, 0.05]
        #expect(TailPatternRule().detect(layers(sats)) == nil)
        let pattern = try #require(rule.detect(layers(sats)))
        #expect(pattern.layers == ["conv4", "conv5"])
    }

    @Test("median")
    func medianValues() {
        #expect(median([3, 1, 2]) == 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
        #expect(median([]) == 0)
    }
}
