import Testing
@testable import Delve

@Suite("Tracker error messages")
struct TrackerErrorTextTests {
    @Test("a writer failure names the file, not the writer's Swift type")
    func writerFailure() {
        let error = TrackerError.writerFailed(writer: "RunWriters", reason: "/runs/a/statistics.csv: no space left on device")
        #expect(error.description == "could not write the outputs: /runs/a/statistics.csv: no space left on device")
        #expect(!error.description.contains("RunWriters"))
    }
}
