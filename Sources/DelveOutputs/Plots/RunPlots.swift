import Delve

/// Builds the standard figures of a run from its epoch records (oldest first).
public enum RunPlots {
    /// The figure names, which are also the file names in `plots/` (`saturation.svg`, ...).
    public static let names = ["saturation", "saturation-over-epochs", "saturation-heatmap", "explained-variance", "scalars"]

    /// Layer names in network order: the latest record's order, then layers only seen earlier.
    public static func layerOrder(_ history: [EpochRecord]) -> [String] {
        var order = history.last?.layerNames ?? []
        for record in history.reversed() {
            for name in record.layerNames where !order.contains(name) { order.append(name) }
        }
        return order
    }

    /// The saturation of `layer` in `phase` in every record (NaN where missing).
    static func saturation(_ history: [EpochRecord], layer: String, phase: Phase) -> [Double] {
        history.map { $0.values(layer: layer, phase: phase)?.statistics[.lsat] ?? .nan }
    }

    /// All figures, keyed by the names in ``names``, then `cka` when the history has linear CKA and `probes`
    /// when it has linear probes (``ProbePlots``). Empty history
    /// gives empty figures with a message. The bar chart marks each layer's structural ceiling (`ceilings`);
    /// the bar chart and the heat map mark the `named` layers (the verdict's tail).
    public static func figures(history: [EpochRecord], ceilings: StructuralCeilings = StructuralCeilings(),
                               named: [String] = []) -> [(name: String, figure: Figure)] {
        let layers = layerOrder(history)
        let epochs = history.map(\.epoch)
        let last = history.last
        let threshold = last?.threshold ?? 0.99

        let limits = layers.map { layer -> Double? in
            guard let features = last?.layers.first(where: { $0.layer == layer })?.features else { return nil }
            return ceilings.saturationLimit(layer: layer, features: features)
        }
        let saturation = SaturationPlots.layerSaturation(
            epoch: last?.epoch ?? 0, layers: layers,
            train: layers.map { last?.values(layer: $0, phase: .train)?.statistics[.lsat] },
            eval: layers.map { last?.values(layer: $0, phase: .eval)?.statistics[.lsat] },
            threshold: threshold, limits: limits, named: Set(named))

        var series: [(layer: String, phase: Phase, values: [Double])] = []
        for phase in Phase.allCases {
            for layer in layers {
                let values = self.saturation(history, layer: layer, phase: phase)
                if values.contains(where: \.isFinite) { series.append((layer, phase, values)) }
            }
        }
        let overEpochs = SaturationPlots.saturationOverEpochs(epochs: epochs, series: series)

        let heatPhase: Phase = series.contains { $0.phase == .train } || series.isEmpty ? .train : .eval
        let heatmap = SaturationPlots.saturationHeatmap(
            layers: layers, epochs: epochs,
            values: layers.map { self.saturation(history, layer: $0, phase: heatPhase) }, phase: heatPhase,
            named: Set(named))

        let spectra = (last?.layers ?? []).filter { $0.eigenvalues != nil }
        let spectraPhase: Phase = spectra.contains { $0.phase == .train } ? .train : .eval
        let panels = spectra.filter { $0.phase == spectraPhase }.map { entry in
            (title: "\(entry.layer) (\(entry.phase.rawValue))", eigenvalues: entry.eigenvalues ?? [],
             idim: entry.statistics[.idim].flatMap { $0.isFinite ? Int($0) : nil })
        }
        let explained = SaturationPlots.explainedVariance(panels: panels, threshold: threshold)

        var scalarNames: [String] = []
        for record in history { for s in record.scalars where !scalarNames.contains(s.name) { scalarNames.append(s.name) } }
        let scalars = SaturationPlots.scalarsOverEpochs(
            epochs: epochs, scalars: scalarNames.map { name in (name, history.map { $0.scalar(named: name) ?? .nan }) })

        return [("saturation", saturation), ("saturation-over-epochs", overEpochs), ("saturation-heatmap", heatmap),
                ("explained-variance", explained), ("scalars", scalars)] + SimilarityPlots.figures(history: history)
            + ProbePlots.figures(history: history)
    }
}
