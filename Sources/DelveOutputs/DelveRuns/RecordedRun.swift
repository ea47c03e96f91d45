import Delve
import Foundation

/// A recorded run, as `delve report` and `delve rethreshold` find it from the path a user passes: this
/// package's run directory, or the files of a run recorded by Delve 0.1.50 (``DelveRunFiles``).
public enum RecordedRun: Sendable, Equatable {
    /// A run directory written by this package (`statistics.jsonl`, `statistics.csv`, `run.json`, …).
    case directory(RunDirectory)
    /// `<savefile>.csv` and `<savefile>/` written by Delve 0.1.50.
    case delve(DelveRunFiles)

    /// Finds the run at `path`:
    /// - a folder holding `statistics.jsonl` or `statistics.csv` (or the CSV itself): this package's run;
    /// - Delve's `<savefile>.csv`, the `<savefile>/` folder beside it, or `<savefile>` itself: a Delve run
    ///   (also when written by `delve_swift`'s Delve API, whose folder has a `run.json`);
    /// - a folder with only `run.json`: this package's run (whose report then says no epochs were found);
    /// - a folder holding exactly one Delve run (`X.csv` beside a folder `X/`): that run.
    ///
    /// Throws naming `path` and what was expected otherwise (several Delve runs in one folder are listed).
    public static func locate(_ path: String) throws(WriterError) -> RecordedRun {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let exists = manager.fileExists(atPath: trimmed, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue {
            guard trimmed.hasSuffix(".csv") else {
                throw .io(path: path, reason: "not a run: expected a run directory, or a Delve run's <savefile>.csv")
            }
            let url = URL(fileURLWithPath: trimmed)
            let parent = url.deletingLastPathComponent()
            if url.lastPathComponent == "statistics.csv" {
                return .directory(try RunDirectory(existing: parent.path))
            }
            return .delve(DelveRunFiles(savefile: String(trimmed.dropLast(4))))
        }
        if exists {
            if hasRecords(trimmed) { return .directory(try RunDirectory(existing: trimmed)) }
            // delve_swift's Delve API writes Delve's <savefile>.csv beside a folder that also holds run.json.
            if manager.fileExists(atPath: trimmed + ".csv") { return .delve(DelveRunFiles(savefile: trimmed)) }
            if manager.fileExists(atPath: trimmed + "/run.json") { return .directory(try RunDirectory(existing: trimmed)) }
            let names = ((try? manager.contentsOfDirectory(atPath: trimmed)) ?? []).sorted()
            let runs = names.filter { name in
                guard name.hasSuffix(".csv"), !name.hasPrefix(".") else { return false }
                var folder: ObjCBool = false
                return manager.fileExists(atPath: trimmed + "/" + name.dropLast(4), isDirectory: &folder) && folder.boolValue
            }
            if runs.count == 1 { return .delve(DelveRunFiles(savefile: trimmed + "/" + runs[0].dropLast(4))) }
            if runs.count > 1 {
                throw .io(path: path, reason: "holds \(runs.count) Delve runs (\(runs.joined(separator: ", "))): pass one of the .csv files")
            }
            if names.contains("epoch_counter.pkl") || names.contains(where: { $0.hasPrefix("_train-") || $0.hasPrefix("_eval-") }) {
                throw .io(path: trimmed + ".csv", reason: "no such file: \(path) looks like a Delve 0.1.50 NPYWriter folder, but its CSV "
                          + "(the CSVWriter's <savefile>.csv beside it) is missing; record with save_to including 'csv', or rebuild the "
                          + "CSV with delve_swift.tools.reconstruct_csv_from_npy_data")
            }
            throw .io(path: path, reason: "no epochs found: expected statistics.jsonl or statistics.csv (a delve-swift run directory), "
                      + "or a Delve 0.1.50 run (<savefile>.csv beside its <savefile>/ folder)")
        }
        if trimmed.hasSuffix(".csv") {
            throw .io(path: path, reason: "no such file (expected a run directory, or a Delve run's <savefile>.csv)")
        }
        if manager.fileExists(atPath: trimmed + ".csv") { return .delve(DelveRunFiles(savefile: trimmed)) }
        throw .io(path: path, reason: "no such run directory (nor a Delve run's \(URL(fileURLWithPath: trimmed).lastPathComponent).csv beside it)")
    }

    /// Whether the folder at `path` holds this package's records (`statistics.jsonl` or `statistics.csv`).
    static func hasRecords(_ path: String) -> Bool {
        ["statistics.jsonl", "statistics.csv"].contains { FileManager.default.fileExists(atPath: path + "/" + $0) }
    }
}
