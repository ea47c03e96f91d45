import Testing
import Delve
import DelveNN
@testable import DelveNNTracking

@Suite("watch(model): recurrent layers")
struct WatchRecurrentTests {
    @Test("LSTM and GRU are tracked as sequences read in their own layout (batch first or time major)")
    func recurrentLayouts() throws {
        var rng = SeededGenerator(seed: 31)
        let gru = GRU(inputSize: 3, hiddenSize: 5, batchFirst: true, rng: &rng)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, rng: &rng)
        let tracker = try SaturationTracker()
        #expect(tracker.watch(gru).report.tracked.map(\.type) == ["GRU"])
        #expect(tracker.watch(lstm).report.tracked.map(\.type) == ["LSTM"])
        _ = gru(Tensor.normal([6, 7, 3], using: &rng))    // N = 6, T = 7
        _ = lstm(Tensor.normal([7, 6, 3], using: &rng))   // T = 7, N = 6
        let layers = try tracker.endEpoch().layers
        #expect(layers.map(\.layer) == ["GRU", "LSTM"])
        #expect(layers.map(\.features) == [5, 4])
        // The last timestep of each of the 6 sequences (a misread layout gives 7).
        #expect(layers.map(\.samples) == [6, 6])
    }
}
