import Delve
import Foundation

/// Recomputes idim and lsat of a finished run at another threshold δ from its saved eigenvalues, without
/// re-running the model: from the spectra in `statistics.jsonl`, or when a layer has none there, from
/// `npy/<phase>/<layer>/epoch<N>-eigenvalues.npy`.
public enum Rethreshold {
    /// The run's records with `idim` and `lsat` recomputed at `threshold` (`Spectrum.statistics(_:)`),
    /// other statistics dropped, and the average saturations (`average-<phase>-sat`) recomputed from the
    /// new values; the user's scalars are kept. Layers without a saved spectrum are left out.
    /// Throws when the run has no records or no spectrum at all.
    public static func records(run: RunDirectory, threshold: Double,
                               convention: IntrinsicDimensionalityConvention = .paper) throws(WriterError) -> [EpochRecord] {
        let options = StatisticsOptions(statistics: [.lsat, .idim], threshold: threshold, convention: convention)
        do { try options.validate() } catch { throw .invalidArgument(error.description) }
        let records = try run.readRecords()
        guard !records.isEmpty else {
            throw .io(path: run.jsonlURL.path, reason: "no epochs recorded (rethreshold needs the jsonl writer's statistics.jsonl)")
        }
        var spectra = 0
        var result: [EpochRecord] = []
        for record in records {
            var layers: [LayerEpochValues] = []
            for entry in record.layers {
                var saved = entry.eigenvalues
                if saved == nil { saved = try savedEigenvalues(run: run, layer: entry.layer, phase: entry.phase, epoch: record.epoch) }
                guard let eigenvalues = saved else { continue }
                spectra += 1
                let spectrum = Spectrum(eigenvalues: eigenvalues, samples: entry.samples)
                var entryOptions = options   // rankme and alphareq do not depend on δ: recomputed when the run had them
                entryOptions.statistics += [Statistic.rankme, .alphareq].filter { entry.statistics[$0] != nil }
                var values = spectrum.statistics(entryOptions).values
                for probe in [Statistic.probeR2, .probeAccuracy] { values[probe] = entry.statistics[probe] }   // not from δ
                layers.append(LayerEpochValues(
                    layer: entry.layer, phase: entry.phase, features: eigenvalues.count, samples: entry.samples,
                    statistics: values,
                    eigenvalues: eigenvalues, notes: entry.notes, skippedBatches: entry.skippedBatches))
            }
            // The averages were computed at the old δ: replace them (in place of the old ones, first).
            let averageNames = Set(Phase.allCases.map(EpochRecord.averageSaturationName))
            let userScalars = record.scalars.filter { !averageNames.contains($0.name) }
            let hadAverages = userScalars.count < record.scalars.count
            let scalars = (hadAverages ? EpochRecord.averageSaturations(of: layers) : []) + userScalars
            var rethresholded = EpochRecord(epoch: record.epoch, layers: layers, scalars: scalars, threshold: threshold)
            rethresholded.similarity = record.similarity   // linear CKA does not depend on δ
            result.append(rethresholded)
        }
        guard spectra > 0 else {
            throw .io(path: run.url.path, reason: "no eigenvalues saved: record the run with the jsonl writer and eigenvalues, or the npy writer")
        }
        return result
    }

    /// The eigenvalues saved by ``NPYEpochWriter`` for a layer, phase and epoch; nil when there is no file.
    static func savedEigenvalues(run: RunDirectory, layer: String, phase: Phase, epoch: Int) throws(WriterError) -> [Double]? {
        let url = NPYEpochWriter.layerDirectory(run.npyDirectory, layer: layer, phase: phase)
            .appendingPathComponent("epoch\(epoch)-eigenvalues.npy")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let reader = try NPYReader(path: url.path)
            guard reader.shape.count == 1 else {
                throw WriterError.malformed(path: url.path, line: 0, reason: "expected a 1-D array of eigenvalues, found shape \(reader.shape)")
            }
            return try reader.readAllDoubles()
        } catch let error as WriterError {
            throw error
        } catch {
            throw .io(path: url.path, reason: "\(error)")
        }
    }
}
