import Delve

/// The linear-probe figure (`TrackerOptions.probes`): one panel per layer, stacked in network order, each
/// with the layer's saturation and its probe's accuracy (eval) and R² (train) over the epochs on one
/// 0–100 % axis, so how much of the layer is used reads against how linearly it separates the classes.
public enum ProbePlots {
    /// Whether any record of `history` has a probe value.
    public static func hasProbes(_ history: [EpochRecord]) -> Bool {
        history.contains { record in
            record.layers.contains { $0.statistics[.probeAccuracy] != nil || $0.statistics[.probeR2] != nil }
        }
    }

    /// `[("probes", figure)]` when the history has probe values, else nothing (runs without probes keep
    /// exactly the standard figures).
    public static func figures(history: [EpochRecord]) -> [(name: String, figure: Figure)] {
        guard hasProbes(history) else { return [] }
        return [("probes", probesOverEpochs(history))]
    }

    /// The layers with a probe value, in network order.
    static func probedLayers(_ history: [EpochRecord]) -> [String] {
        RunPlots.layerOrder(history).filter { layer in
            history.contains { record in
                Phase.allCases.contains { phase in
                    let values = record.values(layer: layer, phase: phase)?.statistics
                    return values?[.probeAccuracy] != nil || values?[.probeR2] != nil
                }
            }
        }
    }

    /// One panel per probed layer: saturation (eval where recorded, else train), probe accuracy (eval)
    /// and probe R² (train) against the epoch.
    public static func probesOverEpochs(_ history: [EpochRecord]) -> Figure {
        let layers = probedLayers(history)
        let epochs = history.map { Double($0.epoch) }
        let panelHeight = 150.0, top = 128.0, gap = 26.0
        let width = 760
        let height = Int(top + Double(max(1, layers.count)) * (panelHeight + gap) + 30)
        let title = "Saturation and linear-probe accuracy per layer"
        var figure = Figure(width: width, height: height, title: title)
        figure.drawTitle(title, subtitle: "one panel per layer, network order; probe accuracy on the eval phase, R2 of the train fit")
        let saturationColor = Palette.color(0), accuracyColor = Palette.color(1), r2Color = Palette.color(2)
        figure.drawLegend([LegendEntry("saturation", color: saturationColor, kind: .line(dash: nil)),
                           LegendEntry("probe accuracy", color: accuracyColor, kind: .line(dash: nil)),
                           LegendEntry("probe R2 (train fit)", color: r2Color, kind: .line(dash: [6, 4]))],
                          top: 62, left: 84)
        guard !layers.isEmpty else {
            figure.drawEmpty(PlotRect(x: 20, y: top, width: Double(width) - 40, height: panelHeight), message: "no probe recorded (delve train --probe)")
            return figure
        }
        for (index, layer) in layers.enumerated() {
            let y = top + Double(index) * (panelHeight + gap)
            let area = PlotRect(x: 84, y: y + 16, width: Double(width) - 84 - 28, height: panelHeight - 16)
            figure.add(.text(layer, at: Point(area.x, y + 10), size: Figure.FontSize.legend, color: Palette.ink, bold: true))
            func series(_ statistic: Statistic, _ phase: Phase) -> [Double] {
                history.map { $0.values(layer: layer, phase: phase)?.statistics[statistic] ?? .nan }
            }
            let evalSaturation = series(.lsat, .eval)
            let saturation = evalSaturation.contains(where: \.isFinite) ? evalSaturation : series(.lsat, .train)
            let lines = [
                LineSeries(name: "saturation", x: epochs, y: saturation, color: saturationColor),
                LineSeries(name: "probe accuracy", x: epochs, y: series(.probeAccuracy, .eval), color: accuracyColor),
                LineSeries(name: "probe R2", x: epochs, y: series(.probeR2, .train), color: r2Color, dash: [6, 4]),
            ]
            figure.drawLineChart(area: area, series: lines, yDomain: (0, 1), yLabel: { SaturationPlots.percent($0, $1) },
                                 xTitle: index == layers.count - 1 ? "epoch" : nil, yTitle: nil, maxYTicks: 3)
        }
        return figure
    }
}
