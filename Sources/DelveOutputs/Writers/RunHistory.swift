import Delve

/// The records of a run's epochs so far (without covariance matrices), oldest first: the one history
/// that every writer drawing the whole run reads (plots, report, TensorBoard images).
///
/// The figures (`RunPlots/figures(history:)`) are built at most once per epoch and each PNG is
/// rasterised at most once, however many writers ask for them.
public final class RunHistory {
    /// The records, oldest first.
    public private(set) var records: [EpochRecord]
    /// The structural ceilings of the run's layers (drawn as markers, used by the verdict).
    public var ceilings = StructuralCeilings() {
        didSet { invalidate() }
    }
    private var cachedFigures: [(name: String, figure: Figure)]?
    private var cachedPNGs: [String: [UInt8]] = [:]

    /// A history holding `records` (for a resumed run: the completed epochs).
    public init(_ records: [EpochRecord] = []) {
        self.records = records.map(\.withoutCovariance)
    }

    /// Adds `record` without its covariance matrices, replacing any record of the same or a later epoch.
    public func append(_ record: EpochRecord) {
        records.removeAll { $0.epoch >= record.epoch }
        records.append(record.withoutCovariance)
        invalidate()
    }

    /// Replaces every record (a resumed run's completed epochs).
    public func replace(with records: [EpochRecord]) {
        self.records = records.map(\.withoutCovariance)
        invalidate()
    }

    /// The verdict on the latest epoch, nil before the first.
    public var verdict: Verdict? {
        records.last.map { Verdict(record: $0, ceilings: ceilings) }
    }

    /// The standard figures of the run (``RunPlots/names`` order), marking the ceilings and the layers
    /// the verdict names.
    public var figures: [(name: String, figure: Figure)] {
        if let cachedFigures { return cachedFigures }
        let figures = RunPlots.figures(history: records, ceilings: ceilings, named: verdict?.namedLayers ?? [])
        cachedFigures = figures
        return figures
    }

    /// The figure `name` rasterised as PNG (``Rasterizer``, ``PNGEncoder``).
    public func png(named name: String) throws(PNGEncoder.EncodingError) -> [UInt8] {
        if let bytes = cachedPNGs[name] { return bytes }
        guard let figure = figures.first(where: { $0.name == name })?.figure else { return [] }
        let bytes = try PNGEncoder.encode(Rasterizer.render(figure))
        cachedPNGs[name] = bytes
        return bytes
    }

    private func invalidate() {
        cachedFigures = nil
        cachedPNGs = [:]
    }
}
