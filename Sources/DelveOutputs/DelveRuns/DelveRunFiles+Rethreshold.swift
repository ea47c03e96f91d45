import Delve
import Foundation

extension DelveRunFiles {
    /// The run's records with `idim` and `lsat` recomputed at `threshold` from the covariance matrices Delve's
    /// NPYWriter saved (stat 'cov'): the eigenvalues of each matrix (negatives clipped to 0), then
    /// `Spectrum.intrinsicDimensionality(threshold:convention:)` and lsat = idim / D. With `.delve` and
    /// δ = Delve's, the values equal Delve's CSV. Other statistics are dropped, Delve's
    /// `average-<phase>-sat` columns recomputed from the new values, the user's scalars kept; layers without a
    /// saved matrix are left out. Throws naming the folder when the run has no covariance matrix at all.
    public func rethresholded(threshold: Double, convention: IntrinsicDimensionalityConvention = .paper) throws(WriterError) -> [EpochRecord] {
        let options = StatisticsOptions(statistics: [.lsat, .idim], threshold: threshold, convention: convention)
        do { try options.validate() } catch { throw .invalidArgument(error.description) }
        guard hasCovariances else {
            throw .io(path: folderURL.path, reason: "this Delve run has no covariance matrices (no _train-covariance-matrix_<layer>/ "
                      + "or _eval-covariance-matrix_<layer>/ folders); rethreshold needs them: record with stats including 'cov' "
                      + "and save_to including 'npy'")
        }
        var result: [EpochRecord] = []
        for record in try records() {
            var layers: [LayerEpochValues] = []
            for entry in record.layers {
                guard let eigenvalues = entry.eigenvalues else { continue }
                let spectrum = Spectrum(eigenvalues: eigenvalues, samples: 0)
                let idim = spectrum.intrinsicDimensionality(threshold: threshold, convention: convention)
                layers.append(LayerEpochValues(
                    layer: entry.layer, phase: entry.phase, features: eigenvalues.count, samples: 0,
                    statistics: [.idim: Double(idim), .lsat: spectrum.saturation(threshold: threshold, convention: convention)],
                    eigenvalues: eigenvalues))
            }
            let averageNames = Set(Phase.allCases.map(EpochRecord.averageSaturationName))
            let userScalars = record.scalars.filter { !averageNames.contains($0.name) }
            let hadAverages = userScalars.count < record.scalars.count
            let scalars = (hadAverages ? EpochRecord.averageSaturations(of: layers) : []) + userScalars
            result.append(EpochRecord(epoch: record.epoch, layers: layers, scalars: scalars, threshold: threshold))
        }
        return result
    }

    /// Where `delve rethreshold` writes by default: `<savefile>-threshold-<δ>.csv`, beside Delve's CSV.
    public func rethresholdURL(threshold: Double) -> URL {
        URL(fileURLWithPath: savefile.path + "-threshold-\(threshold).csv")
    }
}
