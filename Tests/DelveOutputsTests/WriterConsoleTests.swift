import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("Console writer")
struct WriterConsoleTests {
    final class Capture: @unchecked Sendable {
        var text = ""
    }

    @Test("block bars use eighth blocks and keep their width")
    func bars() {
        #expect(ConsoleWriter.blockBar(0, width: 4) == "    ")
        #expect(ConsoleWriter.blockBar(1, width: 4) == "████")
        #expect(ConsoleWriter.blockBar(0.5, width: 4) == "██  ")
        #expect(ConsoleWriter.blockBar(1.0 / 32.0, width: 4) == "▏   ")
        #expect(ConsoleWriter.blockBar(2, width: 3) == "███")
        #expect(ConsoleWriter.blockBar(.nan, width: 3) == "   ")
    }

    @Test("progress line shows batches, rate, ETA and loss")
    func progressLine() {
        let p = BatchProgress(epoch: 2, phase: .train, batch: 25, totalBatches: 100, samples: 1600,
                              elapsed: 2, runningLoss: 0.43125)
        #expect(ConsoleWriter.progressLine(p, bar: false) == "epoch 2 train  25/100 batches  800 samples/s  ETA 0:06  loss 0.4313")
        #expect(ConsoleWriter.progressLine(p).contains("▕█████               ▏"))
    }

    @Test("terminal: progress is redrawn in place; plain: one line per tenth")
    func progressModes() throws {
        let tty = Capture()
        let console = ConsoleWriter(output: { tty.text += $0 }, isTerminal: true)
        console.phaseStarted(epoch: 0, phase: .train, totalBatches: 20)
        for b in 1...20 {
            console.batchFinished(BatchProgress(epoch: 0, phase: .train, batch: b, totalBatches: 20, samples: b * 8, elapsed: Double(b)))
        }
        try console.write(WriterFixture.record(epoch: 0))
        #expect(tty.text.components(separatedBy: "\r\u{1B}[2K").count == 21)
        #expect(!tty.text.hasPrefix("epoch 0 train: started"))

        let log = Capture()
        let plain = ConsoleWriter(output: { log.text += $0 }, isTerminal: false)
        plain.phaseStarted(epoch: 0, phase: .train, totalBatches: 20)
        for b in 1...20 {
            plain.batchFinished(BatchProgress(epoch: 0, phase: .train, batch: b, totalBatches: 20, samples: b * 8, elapsed: Double(b)))
        }
        #expect(!log.text.contains("\r"))
        let lines = log.text.split(separator: "\n")
        #expect(lines.count == 2)  // 10 s apart: at batch 10 and at batch 20
        #expect(lines.first?.hasPrefix("epoch 0 train  10/20 batches") == true)
        #expect(lines.last?.hasPrefix("epoch 0 train  20/20 batches") == true)
    }

    @Test("plain: a slow phase gets at most one line per tenth, a fast one none")
    func plainProgressLimits() {
        let slow = Capture()
        let writer = ConsoleWriter(output: { slow.text += $0 }, isTerminal: false)
        writer.phaseStarted(epoch: 1, phase: .eval, totalBatches: 20)
        for b in 1...20 {
            writer.batchFinished(BatchProgress(epoch: 1, phase: .eval, batch: b, totalBatches: 20, samples: b, elapsed: Double(b) * 100))
        }
        #expect(slow.text.split(separator: "\n").count == 10)
        let fast = Capture()
        let quick = ConsoleWriter(output: { fast.text += $0 }, isTerminal: false)
        quick.phaseStarted(epoch: 1, phase: .train, totalBatches: 20)
        for b in 1...20 {
            quick.batchFinished(BatchProgress(epoch: 1, phase: .train, batch: b, totalBatches: 20, samples: b, elapsed: Double(b) * 0.1))
        }
        #expect(fast.text.isEmpty)
    }

    @Test("plain: one line per epoch, the table of the last epoch at close")
    func plainEpochs() throws {
        let log = Capture()
        let plain = ConsoleWriter(output: { log.text += $0 }, isTerminal: false)
        try plain.write(WriterFixture.record(epoch: 0))
        try plain.write(WriterFixture.record(epoch: 1))
        #expect(log.text.split(separator: "\n").count == 2)
        #expect(log.text.hasPrefix("epoch 0  train-accuracy 0.875"))
        try plain.close()
        #expect(log.text.contains(ConsoleWriter.epochSummary(WriterFixture.record(epoch: 1))))
        #expect(!log.text.contains(ConsoleWriter.epochSummary(WriterFixture.record(epoch: 0))))
    }

    @Test("epoch table is aligned, with a bar per saturation, scalars and notes")
    func table() {
        let text = ConsoleWriter.epochSummary(WriterFixture.record(epoch: 0, extraLayer: true))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "epoch 0 (δ = 0.99)")
        #expect(lines[1] == "layer  phase  lsat              idim  logdet")
        #expect(lines[3] == "fc1    train  0.500 █████          2       -")
        #expect(lines[5] == "fc1    eval   0.750 ███████▌       3    -inf")
        #expect(lines[6] == "fc3    train  0.000                -       -")
        #expect(lines[7] == "train-accuracy 0.875  test-loss nan")
        #expect(lines[8] == "note: fc3 (train): fewer samples than features")
    }
}
