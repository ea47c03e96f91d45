import Delve
import DelveNN
import DelveOutputs
import Testing
@testable import DelveTraining

@Suite("The learning-rate schedule in the training configuration")
struct TrainingConfigurationScheduleTests {
    @Test("the manifest JSON records the schedule bit for bit and reads it back")
    func roundTrip() throws {
        for schedule: LearningRateSchedule in [.constant, .step(every: 1, gamma: 0.5), .step(every: 3, gamma: 0.1),
                                               .cosine(period: 7, minimum: 1.2345678e-4)] {
            var configuration = TrainingConfiguration()
            configuration.lrSchedule = schedule
            let text = configuration.jsonValue.text
            let back = try TrainingConfiguration(json: try JSONValue.parse(text), source: "checkpoint.json")
            #expect(back.lrSchedule == schedule)
            switch (schedule, back.lrSchedule) {
            case let (.step(_, a), .step(_, b)), let (.cosine(_, a), .cosine(_, b)): #expect(a.bitPattern == b.bitPattern)
            default: break
            }
            #expect(configuration.jsonValue["lr-schedule"]?.stringValue == schedule.description)
            #expect(configuration.pairs.contains { $0.name == "lr-schedule" && $0.value == schedule.description })
            #expect(configuration.optionTexts["lr-schedule"] == schedule.description)
        }
    }

    @Test("a manifest without the key means a constant rate; a bad entry is an error naming it")
    func missingAndBad() throws {
        var configuration = TrainingConfiguration()
        configuration.lrSchedule = .step(every: 2, gamma: 0.5)
        guard case let .object(entries) = configuration.jsonValue else { Issue.record("not an object"); return }
        let without = JSONValue.object(entries.filter { $0.0 != "lr-schedule" })
        #expect(try TrainingConfiguration(json: without, source: "old.json").lrSchedule == .constant)
        let bad = JSONValue.object(entries.map { $0.0 == "lr-schedule" ? ($0.0, .string("step:0,2")) : $0 })
        do {
            _ = try TrainingConfiguration(json: bad, source: "bad.json")
            Issue.record("a bad schedule was read")
        } catch {
            #expect(error.description.contains("bad.json"))
            #expect(error.description.contains("lr-schedule"))
        }
    }
}
