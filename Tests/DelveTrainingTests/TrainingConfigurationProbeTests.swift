import Delve
import DelveOutputs
import Testing
@testable import DelveTraining

@Suite("The linear probes in the training configuration")
struct TrainingConfigurationProbeTests {
    @Test("the manifest JSON records the probes (λ bit for bit) and reads them back; absent means off")
    func roundTrip() throws {
        for probes: ProbeOptions? in [nil, ProbeOptions(), ProbeOptions(ridge: 0.1234567890123)] {
            var configuration = TrainingConfiguration()
            configuration.tracker.probes = probes
            let back = try TrainingConfiguration(json: try JSONValue.parse(configuration.jsonValue.text), source: "checkpoint.json")
            #expect(back.tracker.probes == probes)
            #expect(back.tracker.probes?.ridge?.bitPattern == probes?.ridge?.bitPattern)
            #expect(configuration.optionTexts["probe"] == (probes == nil ? "off" : "on"))
            #expect(configuration.pairs.contains { $0.name == "probes" } == (probes != nil))
            #expect(configuration.needsLabels == (probes != nil))
        }
        var configuration = TrainingConfiguration()
        configuration.tracker.probes = ProbeOptions()
        guard case let .object(entries) = configuration.jsonValue else { Issue.record("not an object"); return }
        let bad = JSONValue.object(entries.map { $0.0 == "probes" ? ($0.0, .object([("relative-ridge", .string("x"))])) : $0 })
        do {
            _ = try TrainingConfiguration(json: bad, source: "bad.json")
            Issue.record("a bad probes entry was read")
        } catch {
            #expect(error.description.contains("bad.json") && error.description.contains("\"probes\""))
        }
    }
}
