import Delve
import DelveOutputs
import Testing
@testable import DelveTraining

@Suite("The timeseries method in the training configuration")
struct TrainingConfigurationTimeseriesTests {
    /// The configuration's JSON with "timeseries-method" set to `name`.
    static func json(_ name: String) -> JSONValue {
        guard case let .object(entries) = TrainingConfiguration().jsonValue else { return .null }
        return .object(entries.map { $0.0 == "timeseries-method" ? ($0.0, .string(name)) : $0 })
    }

    @Test("the names round-trip; a run configured with 'timestepwise' keeps its meaning (every step an observation)")
    func names() throws {
        for method in TimeseriesMethod.allCases {
            var configuration = TrainingConfiguration()
            configuration.tracker.layout.timeseriesMethod = method
            let back = try TrainingConfiguration(json: configuration.jsonValue, source: "run.json")
            #expect(back.tracker.layout.timeseriesMethod == method)
        }
        let old = try TrainingConfiguration(json: Self.json("timestepwise"), source: "old.json")
        #expect(old.tracker.layout.timeseriesMethod == .timestepObservations)
        #expect(old.jsonValue["timeseries-method"]?.stringValue == "timestep-observations")
        do {
            _ = try TrainingConfiguration(json: Self.json("flatten"), source: "bad.json")
            Issue.record("an unknown timeseries method was read")
        } catch {
            #expect(error.description.contains("bad.json") && error.description.contains("timeseries-method"))
        }
    }
}
