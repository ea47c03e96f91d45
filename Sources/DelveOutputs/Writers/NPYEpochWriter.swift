import Delve
import Foundation

/// Writes the matrices of every epoch as NumPy `.npy` files (float64, via `NPYWriter`):
///
/// ```
/// npy/<phase>/<layer>/epoch<N>-covariance.npy    D × D covariance matrix (when the record has it)
/// npy/<phase>/<layer>/epoch<N>-eigenvalues.npy   D eigenvalues, largest first (when the record has them)
/// ```
///
/// `/` and `\` in layer names become `_`. `numpy.load` reads the files; `delve rethreshold` recomputes
/// idim and lsat from the saved eigenvalues.
///
/// This is the engine's own layout, not Delve 0.1.50's NPYWriter layout
/// (`<savefile>/_<phase>-<stat>_<layer>/…_epoch<N>.npy`): that one is written by the Python package's
/// `npy` writer (`delve_swift.writers.DelveNPY`) and read by `DelveRunFiles`.
public final class NPYEpochWriter: EpochWriter {
    /// The `npy/` folder.
    public let directory: URL

    /// Creates the writer for `directory` (usually ``RunDirectory/npyDirectory``).
    public init(directory: URL) throws(WriterError) {
        self.directory = directory
        try createDirectory(directory)
    }

    /// The folder of one layer and phase.
    public static func layerDirectory(_ directory: URL, layer: String, phase: Phase) -> URL {
        let safe = layer.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "\\", with: "_")
        return directory.appendingPathComponent(phase.rawValue, isDirectory: true).appendingPathComponent(safe, isDirectory: true)
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        for entry in record.layers {
            guard entry.covariance != nil || entry.eigenvalues != nil else { continue }
            let folder = NPYEpochWriter.layerDirectory(directory, layer: entry.layer, phase: entry.phase)
            try createDirectory(folder)
            if let covariance = entry.covariance {
                guard covariance.count == entry.features * entry.features else {
                    throw .invalidArgument("layer \(entry.layer) (\(entry.phase.rawValue)): covariance has \(covariance.count) values, expected \(entry.features)² = \(entry.features * entry.features)")
                }
                try save(covariance, shape: [entry.features, entry.features], to: folder.appendingPathComponent("epoch\(record.epoch)-covariance.npy"))
            }
            if let eigenvalues = entry.eigenvalues {
                try save(eigenvalues, shape: [eigenvalues.count], to: folder.appendingPathComponent("epoch\(record.epoch)-eigenvalues.npy"))
            }
        }
    }

    /// Nothing to redo: every epoch has files of its own.
    public func resume(after completed: [EpochRecord]) throws(WriterError) {}

    public func close() throws(WriterError) {}

    private func save(_ values: [Double], shape: [Int], to url: URL) throws(WriterError) {
        do {
            try NPYWriter.write(values, shape: shape, to: url.path)
        } catch {
            throw .io(path: url.path, reason: error.description)
        }
    }
}
