import Foundation
import Delve

/// The layer × layer heat map of linear CKA (`CKAMatrix`).
public enum SimilarityPlots {
    /// The CKA matrix of `epoch` as a square heat map, rows and columns in the matrix's layer order,
    /// with the value in each cell when it fits and a colour bar from 0 to 1; NaN cells are grey.
    public static func ckaHeatmap(_ matrix: CKAMatrix?, epoch: Int) -> Figure {
        let layers = matrix?.layers ?? []
        let (names, caption) = LayerLabels.abbreviate(layers, limit: 24)
        let labelWidth = names.map { Figure.textWidth($0, size: Figure.FontSize.tick) }.max() ?? 30
        let cell = layers.count > 24 ? 16.0 : max(28, min(60, 520 / Double(max(1, layers.count))))
        let side = cell * Double(layers.count)
        let left = 24 + labelWidth
        let width = Int(max(640, left + side + 120))
        let height = Int(max(320, 62 + side + labelWidth + 30))
        let phase = matrix?.phase.rawValue ?? "eval"
        let title = "Layer similarity, linear CKA (\(phase))"
        var figure = Figure(width: width, height: height, title: title)
        let samples = matrix.map { ", \($0.samples) samples" } ?? ""
        figure.drawTitle(title, subtitle: "epoch \(epoch)\(samples); brighter = more alike" + (caption.map { "; layers \($0)" } ?? ""))
        let area = PlotRect(x: left, y: 62, width: side, height: side)
        guard let matrix, !layers.isEmpty else {
            figure.drawEmpty(PlotRect(x: 20, y: 62, width: Double(width) - 40, height: Double(height) - 90), message: "no CKA recorded (delve train --cka)")
            return figure
        }
        for r in 0..<layers.count {
            for c in 0..<layers.count {
                let value = matrix[r, c]
                let fill = value.isFinite ? Palette.sequential(min(1, max(0, value))) : Palette.missing
                let x = area.x + Double(c) * cell, y = area.y + Double(r) * cell
                figure.add(.rect(x: x, y: y, width: cell + 0.3, height: cell + 0.3, fill: fill))
                if value.isFinite, cell >= Figure.textWidth("0.00", size: Figure.FontSize.small) + 4 {
                    figure.add(.text(String(format: "%.2f", value), at: Point(x + cell / 2, y + cell / 2 + 3.5), size: Figure.FontSize.small,
                                     color: fill.luminance > 0.5 ? Palette.ink : .white, anchor: .middle))
                }
            }
            figure.add(.text(names[r], at: Point(area.x - 8, area.y + (Double(r) + 0.5) * cell + 4), size: Figure.FontSize.tick,
                             color: Palette.ink, anchor: .end))
            // Column labels, rotated, below the matrix.
            figure.add(.text(names[r], at: Point(area.x + (Double(r) + 0.5) * cell + 4, area.maxY + 8), size: Figure.FontSize.tick,
                             color: Palette.ink, anchor: .start, rotation: 90))
        }
        let bar = PlotRect(x: area.maxX + 24, y: area.y, width: 14, height: min(max(area.height, 120), 240))
        let steps = 60
        for i in 0..<steps {
            let t = Double(i) / Double(steps)
            figure.add(.rect(x: bar.x, y: bar.maxY - (t + 1 / Double(steps)) * bar.height, width: bar.width,
                             height: bar.height / Double(steps) + 0.3, fill: Palette.sequential(t + 0.5 / Double(steps))))
        }
        for tick in [0.0, 0.25, 0.5, 0.75, 1] {
            let y = bar.maxY - tick * bar.height
            figure.add(.line([Point(bar.maxX, y), Point(bar.maxX + 4, y)], color: Palette.ink, width: 1))
            figure.add(.text(NiceTicks.label(tick, step: 0.25), at: Point(bar.maxX + 7, y + 4), size: Figure.FontSize.small, color: Palette.muted))
        }
        return figure
    }
}

extension SimilarityPlots {
    /// The last CKA matrix in `history` (eval phase preferred) and its epoch, if any record has one.
    public static func latest(_ history: [EpochRecord]) -> (epoch: Int, matrix: CKAMatrix)? {
        for record in history.reversed() where !record.similarity.isEmpty {
            let matrix = record.similarity.first { $0.phase == .eval } ?? record.similarity[0]
            return (record.epoch, matrix)
        }
        return nil
    }

    /// `[("cka", heat map of the latest matrix)]` when the history has CKA, else nothing (so runs without
    /// `--cka` have exactly the standard figures).
    public static func figures(history: [EpochRecord]) -> [(name: String, figure: Figure)] {
        guard let (epoch, matrix) = latest(history) else { return [] }
        return [("cka", ckaHeatmap(matrix, epoch: epoch))]
    }
}
