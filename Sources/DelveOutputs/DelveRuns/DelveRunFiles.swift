import Delve
import Foundation

/// The files of a run recorded by Delve 0.1.50 itself (`delve.SaturationTracker(savefile, save_to=…)`),
/// read back:
///
/// ```
/// <savefile>.csv      CSVWriter: ';'-separated, one row per epoch (index 0, 1, …), columns
///                     <phase>-<statistic>_<layer> and the user's add_scalar names
/// <savefile>/_<phase>-<statistic>_<layer>/_<phase>-<statistic>_<layer>_epoch<N>.npy
///                     NPYWriter: one file per value and epoch N (0, 1, …); the covariance matrix
///                     (statistic `covariance-matrix`, stat 'cov') is a D×D float64 array
/// <savefile>/<name>/<name>_epoch<N>.npy, <savefile>/epoch_counter.pkl
/// ```
///
/// The records come from the CSV; a layer whose covariance matrix was saved gets its feature count D and
/// its eigenvalues (`Spectrum(covariance:features:samples:)`) from it. Not in Delve's files: δ, sample counts,
/// and the spectra of layers without a saved covariance.
public struct DelveRunFiles: Sendable, Equatable {
    /// The savefile path Delve was given (without `.csv`).
    public let savefile: URL

    /// The run at `savefile` (the path given to Delve, without `.csv`).
    public init(savefile: String) {
        self.savefile = URL(fileURLWithPath: savefile, isDirectory: false)
    }

    /// The run's name: the savefile's last path component.
    public var name: String { savefile.lastPathComponent }
    /// `<savefile>.csv`, Delve's CSVWriter output.
    public var csvURL: URL { URL(fileURLWithPath: savefile.path + ".csv") }
    /// `<savefile>/`, the NPYWriter's folder.
    public var folderURL: URL { URL(fileURLWithPath: savefile.path, isDirectory: true) }

    /// The NPYWriter's file of value `name` (e.g. `_train-covariance-matrix_fc1`) at `epoch`.
    public func npyURL(name: String, epoch: Int) -> URL {
        folderURL.appendingPathComponent(name, isDirectory: true).appendingPathComponent("\(name)_epoch\(epoch).npy")
    }

    /// The NPYWriter's covariance matrix of `layer` in `phase` at `epoch`.
    public func covarianceURL(layer: String, phase: Phase, epoch: Int) -> URL {
        npyURL(name: "_\(phase.rawValue)-covariance-matrix_\(layer)", epoch: epoch)
    }

    /// Whether the NPYWriter's folder holds any covariance matrix (Delve's stat 'cov').
    public var hasCovariances: Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folderURL.path)) ?? []
        return names.contains { name in Phase.allCases.contains { name.hasPrefix("_\($0.rawValue)-covariance-matrix_") } }
    }

    /// The covariance matrix of `layer` in `phase` at `epoch` (row-major, D×D); nil when Delve saved none.
    /// Throws naming the file when it is not a square 2-D float array.
    public func covariance(layer: String, phase: Phase, epoch: Int) throws(WriterError) -> (features: Int, values: [Double])? {
        let url = covarianceURL(layer: layer, phase: phase, epoch: epoch)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let reader = try NPYReader(path: url.path)
            guard reader.shape.count == 2, reader.shape[0] == reader.shape[1], reader.shape[0] >= 1 else {
                throw WriterError.malformed(path: url.path, line: 0,
                                            reason: "expected a square D×D covariance matrix, found shape \(reader.shape)")
            }
            return (reader.shape[0], try reader.readAllDoubles())
        } catch let error as WriterError {
            throw error
        } catch {
            throw .io(path: url.path, reason: "\(error)")
        }
    }

    /// The run's records: every row of `<savefile>.csv` (`CSVRecords`), with D and the eigenvalues of each
    /// layer whose covariance matrix the NPYWriter saved. Throws naming the CSV when it is missing or malformed,
    /// or a covariance file that cannot be read.
    public func records() throws(WriterError) -> [EpochRecord] {
        guard let data = FileManager.default.contents(atPath: csvURL.path) else {
            throw .io(path: csvURL.path, reason: "cannot read Delve's CSV (expected the CSVWriter's <savefile>.csv; "
                      + "a run recorded with save_to='npy' only can be turned into one with "
                      + "delve_swift.tools.reconstruct_csv_from_npy_data)")
        }
        var records = try CSVRecords.records(fromCSV: String(decoding: data, as: UTF8.self), path: csvURL.path)
        for r in records.indices {
            for l in records[r].layers.indices {
                let entry = records[r].layers[l]
                guard let matrix = try covariance(layer: entry.layer, phase: entry.phase, epoch: records[r].epoch) else { continue }
                records[r].layers[l].features = matrix.features
                records[r].layers[l].eigenvalues = try eigenvalues(matrix, url: covarianceURL(layer: entry.layer, phase: entry.phase, epoch: records[r].epoch))
            }
        }
        return records
    }

    /// The eigenvalues (largest first, negatives clipped to 0 as Delve does) of a covariance matrix read from `url`.
    func eigenvalues(_ matrix: (features: Int, values: [Double]), url: URL) throws(WriterError) -> [Double] {
        do {
            return try Spectrum(covariance: matrix.values, features: matrix.features, samples: 0).eigenvalues
        } catch {
            throw .malformed(path: url.path, line: 0, reason: "no spectrum: \(error.description)")
        }
    }

    /// What the report shows about the run's files, and what Delve does not record.
    public var reportInfo: RunInfo {
        var info = RunInfo(configuration: [
            .init("recorded by", "Delve 0.1.50 (Python): \(csvURL.lastPathComponent)"
                  + (FileManager.default.fileExists(atPath: folderURL.path) ? " and \(name)/" : "")),
            .init("not in Delve's files", "δ (shown as Delve's default, 0.99), sample counts (shown as 0)"
                  + (hasCovariances ? "" : ", D and spectra (no covariance matrices saved: stats 'cov' with the npy writer)")),
        ], status: .closed)
        info.started = ""
        return info
    }

    /// The footer's links of a report page at `page`: Delve's CSV and, when it exists, the folder of its
    /// `.npy` files, relative to the page where they are beside it or one folder up, absolute otherwise.
    func reportLinks(from page: URL) -> [(href: String, name: String)] {
        let here = page.deletingLastPathComponent().standardizedFileURL.path
        func link(_ url: URL, directory: Bool) -> (href: String, name: String) {
            let folder = url.deletingLastPathComponent().standardizedFileURL.path
            let name = url.lastPathComponent + (directory ? "/" : "")
            if folder == here { return (name, name) }
            if folder == URL(fileURLWithPath: here).deletingLastPathComponent().standardizedFileURL.path { return ("../" + name, name) }
            return (url.standardizedFileURL.absoluteString, name)
        }
        var links = [link(csvURL, directory: false)]
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folderURL.path, isDirectory: &isDirectory), isDirectory.boolValue {
            links.append(folderURL.standardizedFileURL.path == here ? (".", name + "/") : link(folderURL, directory: true))
        }
        return links
    }

    /// Where `delve report` writes the page: `<savefile>/report.html`, or `<savefile>-report.html` beside the
    /// CSV when the folder does not exist.
    public var reportURL: URL {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folderURL.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return folderURL.appendingPathComponent("report.html")
        }
        return URL(fileURLWithPath: savefile.path + "-report.html")
    }
}

extension DelveRunFiles {
    /// Writes the report page of the run (``ReportPage``, with ``reportInfo`` as its configuration) to
    /// `output`, or to ``reportURL``; returns the number of epochs. Throws naming the CSV when it has no row.
    @discardableResult
    public func writeReport(to output: URL? = nil) throws(WriterError) -> Int {
        let history = try records()
        guard !history.isEmpty else { throw .io(path: csvURL.path, reason: "no epochs found: Delve's CSV has no rows") }
        let target = output ?? reportURL
        let page = ReportPage.html(runName: name, info: reportInfo, history: history, running: false, files: reportLinks(from: target))
        try writeAtomically(Data(page.utf8), to: target)
        return history.count
    }
}
