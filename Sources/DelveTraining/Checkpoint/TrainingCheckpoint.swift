import DelveData
import Delve
import DelveOutputs
import DelveNN
import Foundation

/// The checkpoint `delve train` writes into the run directory after every completed epoch, and
/// `delve train --resume` restores:
///
/// ```
/// <run>/checkpoint/checkpoint.json          manifest (written last, atomically: temporary file + rename)
/// <run>/checkpoint/epoch-<N>/model.safetensors      every parameter and buffer (BatchNorm statistics)
/// <run>/checkpoint/epoch-<N>/optimizer.safetensors  momentum buffers / Adam moments, step count, lr
/// <run>/checkpoint/epoch-<N>/tracker/tracker.json   next epoch, layer order (+ accumulators when kept)
/// <run>/checkpoint/history.jsonl                    the records of the completed epochs (for plots),
///                                                   append-only: each checkpoint appends its epoch
/// <run>/checkpoint/configuration.json               the configuration, recorded before the first epoch
///                                                   (a resume without a manifest starts over with it)
/// ```
///
/// N is the number of the next epoch. The manifest names the folder, the completed epoch count, the full
/// configuration, the random generators' states, the size and CRC-32C of every file in the folder, and
/// the sizes of the append-only outputs (`statistics.jsonl`, TensorBoard event files) at the epoch end,
/// and the record count, size and CRC-32C of the history (so each save writes one record, not all).
/// A new folder is complete before the manifest points to it, and old folders are removed only
/// afterwards, so that a `kill -9` at any moment leaves a manifest that points to a complete folder.
public struct TrainingCheckpoint: Sendable {
    /// The manifest's format name and version. Version 3: optimizer arrays keyed by parameter path
    /// (`momentum_buffer.features.0.weight`), not by position as in version 2.
    static let format = "delve-train-checkpoint", version = 3
    /// The files of a checkpoint folder, relative to it.
    public static let modelFile = "model.safetensors", optimizerFile = "optimizer.safetensors"
    public static let trackerFolder = "tracker", historyFile = "history.jsonl"

    /// The epoch the resumed run starts with (= initial epoch + completed epochs).
    public var nextEpoch: Int
    /// The folder inside `checkpoint/` that holds the state.
    public var folder: String
    /// The configuration the run was started with (`epochs` is the planned total).
    public var configuration: TrainingConfiguration
    /// The states of the model's random generators (Dropout), by module path.
    var randomStates: [String: [UInt64]]
    /// Size and CRC-32C of each file of the folder, by relative path.
    var files: [(path: String, size: Int, crc: UInt32)]
    /// The size of each append-only output at the checkpoint, by file name in the run directory.
    var appended: [(name: String, size: Int)]
    /// How much of `checkpoint/history.jsonl` belongs to the checkpoint.
    var historyLog: HistoryLog

    /// The checkpointed prefix of the append-only history: its records, bytes and CRC-32C.
    struct HistoryLog: Equatable, Sendable {
        var records = 0, size = 0
        var crc: UInt32 = 0
    }

    /// `<run>/checkpoint/history.jsonl`.
    static func historyURL(_ run: RunDirectory) -> URL { directory(run).appendingPathComponent(historyFile) }

    /// `<run>/checkpoint`.
    public static func directory(_ run: RunDirectory) -> URL { run.url.appendingPathComponent("checkpoint", isDirectory: true) }
    /// `<run>/checkpoint/checkpoint.json`.
    public static func manifestURL(_ run: RunDirectory) -> URL { directory(run).appendingPathComponent("checkpoint.json") }

    /// The append-only outputs of a run directory: `statistics.jsonl` and the TensorBoard event files.
    static func appendOnlyFiles(_ run: RunDirectory) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.url.path)) ?? []
        return names.filter { $0 == "statistics.jsonl" || $0.hasPrefix("events.out.tfevents.") }.sorted()
    }

    // MARK: Saving

    /// Saves the state after a completed epoch; `nextEpoch` is the number of the next epoch. The records
    /// of `history` beyond `historyLog` are appended to the history file; returns the new `historyLog`.
    /// `history` is called once the model, optimizer and tracker state are written and flushed to disk: it
    /// may wait for the epoch's record (an epoch end running in the background meanwhile).
    static func save(run: RunDirectory, nextEpoch: Int, configuration: TrainingConfiguration, model: Module,
                     optimizer: any CheckpointableOptimizer, tracker: SaturationTracker, history: () throws -> [EpochRecord],
                     historyLog: HistoryLog) throws -> HistoryLog {
        let root = directory(run)
        let folder = String(format: "epoch-%06d", nextEpoch)
        let target = root.appendingPathComponent(folder, isDirectory: true)
        try? FileManager.default.removeItem(at: target)   // a leftover of an interrupted save
        do {
            try FileManager.default.createDirectory(at: target.appendingPathComponent(trackerFolder), withIntermediateDirectories: true)
        } catch {
            throw TrainingError.failed("\(target.path): cannot create the checkpoint folder: \(error.localizedDescription)")
        }
        try model.saveSafetensors(to: target.appendingPathComponent(modelFile))
        WriteFaults.point(target.appendingPathComponent(modelFile).path)
        try optimizer.exportState().write(to: target.appendingPathComponent(optimizerFile))
        WriteFaults.point(target.appendingPathComponent(optimizerFile).path)
        try tracker.exportState().write(to: target.appendingPathComponent(trackerFolder))

        var files: [(path: String, size: Int, crc: UInt32)] = []
        for path in try listFiles(target) {
            let data = try readFile(target.appendingPathComponent(path))
            files.append((path, data.count, data.withUnsafeBytes { CRC32C.checksum($0) }))
        }
        // Everything the manifest will vouch for reaches the disk before the manifest does (a power cut
        // then leaves either the previous checkpoint or this one, complete). The checkpoint folder first:
        // it does not depend on the epoch's record, which `history` may still be waiting for.
        for path in files.map(\.path) { try syncToDisk(target.appendingPathComponent(path)) }
        try syncToDisk(target.appendingPathComponent(trackerFolder), directory: true)
        try syncToDisk(target, directory: true)
        let log = try appendHistory(try history(), after: historyLog, to: historyURL(run))
        var appended: [(name: String, size: Int)] = []
        for name in appendOnlyFiles(run) {
            appended.append((name, try fileSize(run.url.appendingPathComponent(name))))
        }
        try syncToDisk(historyURL(run))
        for (name, _) in appended { try syncToDisk(run.url.appendingPathComponent(name)) }
        if FileManager.default.fileExists(atPath: run.csvURL.path) { try syncToDisk(run.csvURL) }   // kept on resume too
        try syncToDisk(root, directory: true)
        // The data path is recorded absolute, so that a resume from another directory finds the data.
        var recorded = configuration
        recorded.dataPath = configuration.dataPath.map(absolutePath)
        let checkpoint = TrainingCheckpoint(nextEpoch: nextEpoch, folder: folder, configuration: recorded,
                                            randomStates: model.randomGeneratorStates(), files: files, appended: appended,
                                            historyLog: log)
        try writeDurably(checkpoint.jsonValue, to: manifestURL(run))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
            where name.hasPrefix("epoch-") && name != folder {
            try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
        }
        return log
    }

    /// Appends the records of `history` after the first `log.records` to the file at `url`, which is first
    /// cut to `log.size` bytes (dropping what an interrupted save may have appended); returns the new log.
    private static func appendHistory(_ history: [EpochRecord], after log: HistoryLog, to url: URL) throws(TrainingError) -> HistoryLog {
        guard log.records <= history.count else {
            throw .failed("\(url.path): the checkpoint has \(log.records) records, the run only \(history.count)")
        }
        let bytes = Data(history[log.records...].map { $0.jsonValue.text + "\n" }.joined().utf8)
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw .failed("\(url.path): cannot create") }
        }
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.truncate(atOffset: UInt64(log.size))   // also moves the file position there
            try WriteFaults.append(bytes, to: handle, path: url.path)
        } catch {
            throw .failed("\(url.path): cannot append to the history: \(fileErrorReason(error))")
        }
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0, continuing: log.crc) }
        return HistoryLog(records: history.count, size: log.size + bytes.count, crc: crc)
    }

    /// The manifest as JSON.
    var jsonValue: JSONValue {
        .object([
            ("format", .string(Self.format)),
            ("version", .number(Double(Self.version))),
            ("next-epoch", .number(Double(nextEpoch))),
            ("completed-epochs", .number(Double(nextEpoch - configuration.tracker.initialEpoch))),
            ("folder", .string(folder)),
            ("configuration", configuration.jsonValue),
            ("random-generators", .object(randomStates.keys.sorted().map { path in
                (path, .array(randomStates[path]!.map { .string(String($0)) }))
            })),
            ("files", .array(files.map {
                .object([("path", .string($0.path)), ("size", .number(Double($0.size))), ("crc32c", .number(Double($0.crc)))])
            })),
            ("append-only-outputs", .array(appended.map {
                .object([("name", .string($0.name)), ("size", .number(Double($0.size)))])
            })),
            ("history", .object([("records", .number(Double(historyLog.records))), ("size", .number(Double(historyLog.size))),
                                 ("crc32c", .number(Double(historyLog.crc)))])),
        ])
    }

    // MARK: Loading

    /// Reads and verifies the checkpoint of `run` (manifest, then the size and checksum of every file it
    /// lists; the history file is verified when `history(_:)` reads it). Nothing is changed. Errors
    /// name the file and say what was expected.
    public static func load(run: RunDirectory) throws(TrainingError) -> TrainingCheckpoint {
        let manifest = manifestURL(run)
        guard FileManager.default.fileExists(atPath: manifest.path) else {
            throw .failed("\(manifest.path): no checkpoint (the run has not completed an epoch yet, or was not started by this version of delve train)")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(String(decoding: try readFile(manifest), as: UTF8.self), source: manifest.path)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw .failed("corrupt checkpoint manifest: \(error)")
        }
        let source = manifest.path
        func fail(_ reason: String) -> TrainingError { .failed("\(source): corrupt checkpoint manifest: \(reason)") }
        guard json["format"]?.stringValue == format else { throw fail("\"format\" is not \"\(format)\"") }
        if let saved = json["version"]?.doubleValue, saved >= 1, saved < Double(version), saved == saved.rounded() {
            throw .failed("\(source): checkpoint version \(Int(saved)) was written by an earlier delve (its optimizer state is keyed by parameter position); this delve reads version \(version) and cannot resume it: start the run again")
        }
        guard json["version"]?.doubleValue == Double(version) else {
            throw fail("unsupported version \(json["version"]?.text ?? "(missing)"), this delve reads version \(version)")
        }
        func int(_ value: JSONValue?, _ what: String) throws(TrainingError) -> Int {
            guard let number = value?.doubleValue, number >= 0, number == number.rounded(), number < 1e15 else {
                throw fail("\(what) must be a non-negative integer")
            }
            return Int(number)
        }
        let nextEpoch = try int(json["next-epoch"], "\"next-epoch\"")
        guard let folder = json["folder"]?.stringValue, folder.hasPrefix("epoch-"), !folder.contains("/") else {
            throw fail("\"folder\" must name an epoch-N folder")
        }
        guard let configurationJSON = json["configuration"] else { throw fail("no \"configuration\"") }
        let configuration = try TrainingConfiguration(json: configurationJSON, source: source)
        guard nextEpoch >= configuration.tracker.initialEpoch else { throw fail("\"next-epoch\" is before the initial epoch") }
        var randomStates: [String: [UInt64]] = [:]
        for (path, value) in json["random-generators"]?.objectValue ?? [] {
            let words = (value.arrayValue ?? []).compactMap { $0.stringValue.flatMap(UInt64.init) }
            guard words.count == 4 else { throw fail("random generator '\(path)' must have 4 words") }
            randomStates[path] = words
        }
        let root = directory(run).appendingPathComponent(folder, isDirectory: true)
        var files: [(path: String, size: Int, crc: UInt32)] = []
        for item in json["files"]?.arrayValue ?? [] {
            guard let path = item["path"]?.stringValue, !path.hasPrefix("/"), !path.contains("..") else {
                throw fail("a file entry has no valid relative \"path\"")
            }
            let size = try int(item["size"], "the size of \(path)")
            let crc = try int(item["crc32c"], "the checksum of \(path)")
            let url = root.appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw .failed("\(url.path): checkpoint file missing or unreadable")
            }
            guard data.count == size else {
                throw .failed("\(url.path): corrupt checkpoint file: \(data.count) bytes, the manifest expects \(size) (truncated or damaged)")
            }
            guard data.withUnsafeBytes({ CRC32C.checksum($0) }) == UInt32(truncatingIfNeeded: crc) else {
                throw .failed("\(url.path): corrupt checkpoint file: checksum mismatch (the data is damaged)")
            }
            files.append((path, size, UInt32(truncatingIfNeeded: crc)))
        }
        for required in [modelFile, optimizerFile, "\(trackerFolder)/\(TrackerState.fileName)"]
            where !files.contains(where: { $0.path == required }) {
            throw fail("the file list lacks \(required)")
        }
        var appended: [(name: String, size: Int)] = []
        for item in json["append-only-outputs"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue, !name.contains("/") else { throw fail("an output entry has no valid \"name\"") }
            appended.append((name, try int(item["size"], "the size of \(name)")))
        }
        guard let historyJSON = json["history"] else { throw fail("no \"history\"") }
        let historyLog = HistoryLog(records: try int(historyJSON["records"], "the history's record count"),
                                    size: try int(historyJSON["size"], "the history's size"),
                                    crc: UInt32(truncatingIfNeeded: try int(historyJSON["crc32c"], "the history's checksum")))
        guard historyLog.records == nextEpoch - configuration.tracker.initialEpoch else {
            throw fail("the history has \(historyLog.records) records for \(nextEpoch - configuration.tracker.initialEpoch) completed epochs")
        }
        return TrainingCheckpoint(nextEpoch: nextEpoch, folder: folder, configuration: configuration,
                                  randomStates: randomStates, files: files, appended: appended, historyLog: historyLog)
    }

    /// The checkpoint folder.
    public func folderURL(_ run: RunDirectory) -> URL {
        Self.directory(run).appendingPathComponent(folder, isDirectory: true)
    }

    /// The records of the completed epochs: the checkpointed prefix of the history file, checked against
    /// its size, CRC-32C and record count (later bytes, from an interrupted save, are ignored here and cut
    /// by ``rewindOutputs(_:)``).
    func history(_ run: RunDirectory) throws -> [EpochRecord] {
        let url = Self.historyURL(run)
        let data = try readFile(url)
        guard data.count >= historyLog.size else {
            throw TrainingError.failed("\(url.path): corrupt checkpoint file: \(data.count) bytes, the manifest expects at least \(historyLog.size)")
        }
        let prefix = data.prefix(historyLog.size)
        guard prefix.withUnsafeBytes({ CRC32C.checksum($0) }) == historyLog.crc else {
            throw TrainingError.failed("\(url.path): corrupt checkpoint file: checksum mismatch (the data is damaged)")
        }
        let text = String(decoding: prefix, as: UTF8.self)
        var records: [EpochRecord] = []
        for (i, line) in text.split(separator: "\n").enumerated() {
            records.append(try EpochRecord(json: try JSONValue.parse(String(line), source: url.path, line: i + 1),
                                           source: url.path, line: i + 1))
        }
        guard records.count == historyLog.records else {
            throw TrainingError.failed("\(url.path): corrupt checkpoint file: \(records.count) records, the manifest expects \(historyLog.records)")
        }
        return records
    }

    /// Checks that every append-only output is at least as long as at the checkpoint (nothing changed).
    func checkOutputs(_ run: RunDirectory) throws(TrainingError) {
        for (name, size) in appended {
            let url = run.url.appendingPathComponent(name)
            let actual: Int
            do { actual = try fileSize(url) } catch { throw .failed("\(url.path): missing; the checkpoint expects \(size) bytes") }
            guard actual >= size else {
                throw .failed("\(url.path): \(actual) bytes, shorter than the \(size) bytes at the checkpoint (the file was changed)")
            }
        }
    }

    /// Brings the run directory back to the checkpoint: cuts each append-only output to its size at the
    /// checkpoint (dropping records of an epoch that did not complete), removes event files started
    /// after it, and removes temporary files left by an interrupted write. Call after ``checkOutputs(_:)``.
    func rewindOutputs(_ run: RunDirectory) throws {
        let historyPath = Self.historyURL(run).path
        guard truncate(historyPath, off_t(historyLog.size)) == 0 else {
            throw TrainingError.failed("\(historyPath): cannot truncate to \(historyLog.size) bytes: \(String(cString: strerror(errno)))")
        }
        for (name, size) in appended {
            let path = run.url.appendingPathComponent(name).path
            guard truncate(path, off_t(size)) == 0 else {
                throw TrainingError.failed("\(path): cannot truncate to \(size) bytes: \(String(cString: strerror(errno)))")
            }
        }
        PCAEvaluation.removeFiles(from: run)   // it described the model at the old last epoch
        let kept = Set(appended.map(\.name))
        for name in Self.appendOnlyFiles(run) where name.hasPrefix("events.out.tfevents.") && !kept.contains(name) {
            try? FileManager.default.removeItem(at: run.url.appendingPathComponent(name))
        }
        for folder in [run.url, run.plotsDirectory, Self.directory(run)] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                where name.hasPrefix(".") && name.contains(".tmp") {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
        if let walker = FileManager.default.enumerator(atPath: run.npyDirectory.path) {
            while let path = walker.nextObject() as? String {
                let name = (path as NSString).lastPathComponent
                if name.hasPrefix("."), name.contains(".tmp-") {
                    try? FileManager.default.removeItem(at: run.npyDirectory.appendingPathComponent(path))
                }
            }
        }
    }
}

/// The files under `directory`, as sorted relative paths.
private func listFiles(_ directory: URL) throws -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory.path) else {
        throw TrainingError.failed("\(directory.path): cannot list the checkpoint folder")
    }
    var paths: [String] = []
    while let path = walker.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent(path).path, isDirectory: &isDirectory),
           !isDirectory.boolValue {
            paths.append(path)
        }
    }
    return paths.sorted()
}

/// The bytes of a file; the error names it.
func readFile(_ url: URL) throws(TrainingError) -> Data {
    guard let data = FileManager.default.contents(atPath: url.path) else { throw .failed("\(url.path): missing or unreadable") }
    return data
}

/// Writes a whole file (not atomically: callers write into a folder or temporary name first).
func writeFile(_ data: Data, to url: URL) throws(TrainingError) {
    do { try writeFileContents(data, to: url.path) } catch {
        unlink(url.path)
        throw .failed("\(url.path): cannot write: \(error.reason)")
    }
}

/// Writes `json` (one line) to `url` durably: into a temporary file beside it, flushed to disk, renamed
/// over `url`, and the folder flushed, so that after a crash or power cut `url` holds either its previous
/// content or this one, complete.
func writeDurably(_ json: JSONValue, to url: URL) throws(TrainingError) {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    try writeFile(Data((json.text + "\n").utf8), to: temporary)
    try syncToDisk(temporary)
    WriteFaults.point(url.path)
    guard rename(temporary.path, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw .failed("\(url.path): cannot rename the new file into place: \(reason)")
    }
    try syncToDisk(folder, directory: true)   // the rename itself
}

/// Flushes a file's data, or a directory's entries, to the disk (`fsync`).
func syncToDisk(_ url: URL, directory: Bool = false) throws(TrainingError) {
    let fd = open(url.path, O_RDONLY | (directory ? O_DIRECTORY : 0))
    guard fd >= 0 else { throw .failed("\(url.path): cannot open to flush it to disk: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw .failed("\(url.path): cannot flush to disk: \(String(cString: strerror(errno)))") }
}

/// The size of a file in bytes.
private func fileSize(_ url: URL) throws(TrainingError) -> Int {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
          let size = (attributes[.size] as? NSNumber)?.intValue else {
        throw .failed("\(url.path): cannot read the file size")
    }
    return size
}
