import Foundation
import Testing
@testable import DelveNN

@Suite("Learning-rate schedules as functions of the step")
struct LearningRateScheduleTests {
    @Test("StepLR's closed form: base·γ^⌊t/s⌋")
    func stepValues() {
        let schedule = LearningRateSchedule.step(every: 2, gamma: 0.5)
        #expect((0...5).map { schedule.learningRate(base: 1, step: $0) } == [1, 1, 0.5, 0.5, 0.25, 0.25])
        let tenth = LearningRateSchedule.step(every: 3, gamma: 0.1)
        #expect(tenth.learningRate(base: 0.05, step: 2) == 0.05)
        #expect(tenth.learningRate(base: 0.05, step: 7) == 0.05 * Foundation.pow(Float(0.1), 2))
        #expect(LearningRateSchedule.constant.learningRate(base: 0.3, step: 99) == 0.3)
    }

    @Test("CosineAnnealingLR's closed form: η_min + (base − η_min)(1 + cos(πt/T))/2")
    func cosineValues() {
        let schedule = LearningRateSchedule.cosine(period: 4, minimum: 0.2)
        let rates = (0...4).map { schedule.learningRate(base: 1, step: $0) }
        // 0.2 + 0.8·(1 + cos(πt/4))/2
        let expected: [Float] = [1, 0.88284271, 0.6, 0.31715729, 0.2]
        #expect(zip(rates, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
        #expect(rates[0] == 1 && rates[2] == 0.6 && rates[4] == 0.2)
        // Past the period the closed form rises again, as PyTorch's does.
        #expect(abs(schedule.learningRate(base: 1, step: 6) - 0.6) <= 1e-6)
        #expect(LearningRateSchedule.cosine(period: 10, minimum: 0).learningRate(base: 0.1, step: 10) == 0)
    }

    @Test("parsing: step:<every>,<gamma>, cosine:<period>[,<minimum>], constant; the text reads back bit for bit")
    func parsing() throws {
        #expect(try LearningRateSchedule(parsing: "step:1,0.5") == .step(every: 1, gamma: 0.5))
        #expect(try LearningRateSchedule(parsing: "cosine:50") == .cosine(period: 50, minimum: 0))
        #expect(try LearningRateSchedule(parsing: "cosine:50,0.001") == .cosine(period: 50, minimum: 0.001))
        #expect(try LearningRateSchedule(parsing: "constant") == .constant)
        for schedule: LearningRateSchedule in [.constant, .step(every: 3, gamma: 0.1), .cosine(period: 7, minimum: 1e-7),
                                               .step(every: 2, gamma: Float(bitPattern: 0x3F4C_CCCE))] {
            let back = try LearningRateSchedule(parsing: schedule.description)
            #expect(back == schedule)
            if case let (.step(_, a), .step(_, b)) = (schedule, back) { #expect(a.bitPattern == b.bitPattern) }
        }
        #expect(LearningRateSchedule.step(every: 3, gamma: 0.1).description == "step:3,0.1")
        #expect(LearningRateSchedule.cosine(period: 7, minimum: 0).description == "cosine:7,0.0")
    }

    @Test("a bad text is a typed error naming the text and the expected form")
    func badTexts() {
        let cases: [(String, String)] = [
            ("step:0,0.5", "step:<every>,<gamma>"), ("step:2", "step:<every>,<gamma>"), ("step:2,-1", "step:<every>,<gamma>"),
            ("step:2,nan", "step:<every>,<gamma>"), ("cosine:", "cosine:<period>"), ("cosine:5,-0.1", "cosine:<period>"),
            ("cosine:5,1,2", "cosine:<period>"), ("linear:3", "step:<every>,<gamma> or cosine:<period>"), ("", "constant"),
        ]
        for (text, expected) in cases {
            do {
                _ = try LearningRateSchedule(parsing: text)
                Issue.record("'\(text)' was accepted")
            } catch {
                #expect(error.description.contains("'\(text)'"))
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
        #expect(!LearningRateSchedule.step(every: 0, gamma: 0.5).isValid)
        #expect(!LearningRateSchedule.cosine(period: 3, minimum: .infinity).isValid)
        #expect(LearningRateSchedule.cosine(period: 3, minimum: 0).isValid)
    }
}
