import Delve
import Foundation

/// Prints progress and results on the console.
///
/// During a phase: on a terminal a single progress line redrawn in place (bar, batches, samples/s, ETA,
/// running loss); otherwise (a log file, a pipe) a plain line at most every tenth of the phase and at
/// most every 10 s. At the end of an epoch on a terminal: an aligned table of layers × statistics, with a
/// small bar (Unicode block characters) next to each saturation, followed by the user scalars and any
/// notes; otherwise one line (scalars, mean saturations) plus the notes, and the table of the last epoch
/// when the writer is closed.
public final class ConsoleWriter: EpochWriter, ProgressObserver {
    private let output: (String) -> Void
    /// Whether progress is drawn in place (stdout is a terminal).
    public let isTerminal: Bool
    private var lineOpen = false
    private var lastPlainDecile = 0
    private var lastPlainElapsed = 0.0
    private var lastRecord: EpochRecord?
    /// The fewest seconds between two plain progress lines.
    public static let plainInterval = 10.0

    /// Creates the writer. `output` receives text (default: standard output); `isTerminal` defaults to
    /// `isatty(STDOUT_FILENO)`.
    public init(output: ((String) -> Void)? = nil, isTerminal: Bool? = nil) {
        self.output = output ?? { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        self.isTerminal = isTerminal ?? (isatty(STDOUT_FILENO) != 0)
    }

    public func phaseStarted(epoch: Int, phase: Phase, totalBatches: Int?) {
        lastPlainDecile = 0
        lastPlainElapsed = 0
    }

    public func batchFinished(_ progress: BatchProgress) {
        if isTerminal {
            output("\r\u{1B}[2K" + ConsoleWriter.progressLine(progress))
            lineOpen = true
            return
        }
        // Plain output: a line once a further tenth of the phase (or 100 batches when the total is unknown)
        // is done and at least `plainInterval` seconds have passed since the last line.
        let decile: Int
        if let total = progress.totalBatches, total > 0 {
            decile = progress.batch * 10 / total
        } else {
            decile = progress.batch / 100
        }
        if decile > lastPlainDecile, progress.elapsed - lastPlainElapsed >= ConsoleWriter.plainInterval {
            lastPlainDecile = decile
            lastPlainElapsed = progress.elapsed
            output(ConsoleWriter.progressLine(progress, bar: false) + "\n")
        }
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        if lineOpen {
            output("\n")
            lineOpen = false
        }
        if isTerminal {
            output(ConsoleWriter.epochSummary(record))
        } else {
            lastRecord = record.withoutCovariance
            output(ConsoleWriter.epochLine(record))
        }
    }

    /// Nothing to redo: the console shows the epochs as they end.
    public func resume(after completed: [EpochRecord]) throws(WriterError) {}

    public func close() throws(WriterError) {
        if lineOpen {
            output("\n")
            lineOpen = false
        }
        if let lastRecord {
            output(ConsoleWriter.epochSummary(lastRecord))
            self.lastRecord = nil
        }
    }

    /// The one-line end of an epoch for plain output: `epoch 3  train-loss 0.21  test-accuracy 0.97  mean
    /// saturation train 41.2%, eval 38.0%`, then one line per note.
    public static func epochLine(_ record: EpochRecord) -> String {
        var parts = ["epoch \(record.epoch)"]
        let averages = Set(Phase.allCases.map(EpochRecord.averageSaturationName))
        parts += record.scalars.filter { !averages.contains($0.name) }.map { "\($0.name) \(compact($0.value))" }
        let means = EpochRecord.averageSaturations(of: record.layers).map { entry in
            "\(entry.name.split(separator: "-")[1]) \(String(format: "%.1f%%", entry.value * 100))"
        }
        if !means.isEmpty { parts.append("mean saturation " + means.joined(separator: ", ")) }
        var text = parts.joined(separator: "  ") + "\n"
        for entry in record.layers {
            for note in entry.notes { text += "note: \(entry.layer) (\(entry.phase.rawValue)): \(note)\n" }
        }
        return text
    }

    /// The progress text: `epoch 2 train ▕████▌     ▏ 45/100 batches  1234 samples/s  ETA 0:07  loss 0.4312`.
    public static func progressLine(_ p: BatchProgress, bar: Bool = true) -> String {
        var parts = ["epoch \(p.epoch) \(p.phase.rawValue)"]
        if let total = p.totalBatches, total > 0 {
            if bar { parts.append("▕" + blockBar(Double(p.batch) / Double(total), width: 20) + "▏") }
            parts.append("\(p.batch)/\(total) batches")
        } else {
            parts.append("\(p.batch) batches")
        }
        parts.append("\(Int(p.samplesPerSecond.rounded())) samples/s")
        if let left = p.secondsLeft { parts.append("ETA " + clock(left)) }
        if let loss = p.runningLoss { parts.append("loss " + String(format: "%.4f", loss)) }
        return parts.joined(separator: "  ")
    }

    /// `m:ss` (or `h:mm:ss`) for a number of seconds.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.isFinite ? max(0, seconds.rounded()) : 0)
        if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) }
        return String(format: "%d:%02d", s / 60, s % 60)
    }

    /// A bar of `width` characters filled to `fraction` (clamped to [0, 1]) with eighth-block precision.
    public static func blockBar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((min(1, max(0, fraction.isNaN ? 0 : fraction)) * Double(width * 8)).rounded())
        let partials: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var bar = String(repeating: "█", count: eighths / 8)
        if eighths % 8 > 0 { bar.append(partials[eighths % 8 - 1]) }
        return bar + String(repeating: " ", count: width - bar.count)
    }

    /// Compact text of a number for tables: integers as such, others with 4 significant digits.
    public static func compact(_ value: Double) -> String {
        if !value.isFinite { return delveNumberText(value) }
        if value == value.rounded(), abs(value) < 1e7 { return String(Int64(value)) }
        return String(format: "%.4g", value)
    }

    /// The end-of-epoch text: a table of layers × statistics, then scalars and notes.
    public static func epochSummary(_ record: EpochRecord) -> String {
        let stats = Statistic.allCases.filter { stat in stat.isScalar && record.layers.contains { $0.statistics[stat] != nil } }
        var header = ["layer", "phase"] + stats.map(\.rawValue)
        var rows: [[String]] = []
        for entry in record.layers {
            var row = [entry.layer, entry.phase.rawValue]
            for stat in stats {
                guard let value = entry.statistics[stat] else { row.append("-"); continue }
                if stat == .lsat {
                    row.append(String(format: "%.3f", value) + " " + blockBar(value, width: 10))
                } else {
                    row.append(compact(value))
                }
            }
            rows.append(row)
        }
        if stats.isEmpty { header = ["layer", "phase"] }
        let leftAligned = Set([0, 1] + stats.indices.filter { stats[$0] == .lsat }.map { $0 + 2 })
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return leftAligned.contains(i) ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var text = "epoch \(record.epoch) (δ = \(delveNumberText(record.threshold)))\n"
        if !rows.isEmpty {
            text += line(header) + "\n"
            text += widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n"
            for row in rows { text += line(row) + "\n" }
        }
        if !record.scalars.isEmpty {
            text += record.scalars.map { "\($0.name) \(compact($0.value))" }.joined(separator: "  ") + "\n"
        }
        for entry in record.layers {
            for note in entry.notes { text += "note: \(entry.layer) (\(entry.phase.rawValue)): \(note)\n" }
        }
        return text
    }
}
