import Delve
import DelveOutputs
import Foundation

/// The configuration a fresh run records before its first epoch (`<run>/checkpoint/configuration.json`),
/// so that a run stopped before its first checkpoint can be resumed: `--resume` then starts it over.
extension TrainingCheckpoint {
    /// `<run>/checkpoint/configuration.json`.
    public static func startConfigurationURL(_ run: RunDirectory) -> URL {
        directory(run).appendingPathComponent("configuration.json")
    }

    /// Prepares `run` for a fresh start (called holding the run's lock, before the writers open): removes
    /// the outputs and checkpoint an earlier run in this directory left (a fresh run would not overwrite
    /// all of them, e.g. TensorBoard event files), then records `configuration` durably (temporary
    /// file, `fsync`, rename, `fsync` of the folder).
    static func recordStart(_ configuration: TrainingConfiguration, run: RunDirectory) throws {
        let fileManager = FileManager.default
        let root = directory(run)
        for name in (try? fileManager.contentsOfDirectory(atPath: run.url.path)) ?? []
            where name.hasPrefix("events.out.tfevents.") || (name.hasPrefix(".") && name.contains(".tmp")) {
            try? fileManager.removeItem(at: run.url.appendingPathComponent(name))
        }
        for url in [run.npyDirectory, run.plotsDirectory, run.csvURL, run.jsonlURL, run.reportURL, PCAEvaluation.url(in: run)] {
            try? fileManager.removeItem(at: url)
        }
        try? fileManager.removeItem(at: root)
        do {
            try fileManager.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.failed("\(root.path): cannot create the checkpoint folder: \(fileErrorReason(error))")
        }
        var recorded = configuration
        recorded.dataPath = configuration.dataPath.map(absolutePath)
        try writeDurably(recorded.jsonValue, to: startConfigurationURL(run))
        try syncToDisk(run.url, directory: true)
    }

    /// For `--resume` of a run without a checkpoint manifest: the configuration it recorded at its
    /// start (the run is then started over); nil when the run has a manifest (resume from it) or no
    /// recorded start either (``load(run:)`` then says so).
    public static func startOverConfiguration(run: RunDirectory) throws(TrainingError) -> TrainingConfiguration? {
        let url = startConfigurationURL(run)
        guard !FileManager.default.fileExists(atPath: manifestURL(run).path),
              FileManager.default.fileExists(atPath: url.path) else { return nil }
        let json: JSONValue
        do {
            json = try JSONValue.parse(String(decoding: try readFile(url), as: UTF8.self), source: url.path)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw .failed("corrupt start configuration: \(error)")
        }
        return try TrainingConfiguration(json: json, source: url.path)
    }
}
