import Delve
import Foundation

/// The folder of one run: every writer puts its files here.
///
/// ```
/// <run>/run.json                      configuration and status (running / closed)
/// <run>/statistics.csv                one row per epoch (Delve's CSV layout, ';'-separated)
/// <run>/statistics.jsonl              one JSON object per epoch, every value plus spectra
/// <run>/npy/<phase>/<layer>/epoch<N>-covariance.npy, epoch<N>-eigenvalues.npy
/// <run>/events.out.tfevents.<time>.<host>   TensorBoard event file
/// <run>/plots/*.svg, *.png            the four saturation plots of the latest epoch
/// <run>/report.html                   self-contained report page
/// ```
public struct RunDirectory: Sendable, Equatable {
    /// The run folder.
    public let url: URL

    /// Uses (and creates, when missing) the folder at `path`.
    public init(path: String) throws(WriterError) {
        url = URL(fileURLWithPath: path, isDirectory: true)
        try createDirectory(url)
    }

    /// Uses the folder at `path`, which must exist (for reading a finished run).
    public init(existing path: String) throws(WriterError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .io(path: path, reason: "no such run directory")
        }
        url = URL(fileURLWithPath: path, isDirectory: true)
    }

    /// Creates a new folder `<root>/<name>-<yyyyMMdd-HHmmss>` (UTC) for a run.
    public static func create(under root: String, name: String, date: Date = Date()) throws(WriterError) -> RunDirectory {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return try RunDirectory(path: URL(fileURLWithPath: root).appendingPathComponent("\(name)-\(formatter.string(from: date))").path)
    }

    /// `run.json`: configuration and status.
    public var runInfoURL: URL { url.appendingPathComponent("run.json") }
    /// `statistics.csv`
    public var csvURL: URL { url.appendingPathComponent("statistics.csv") }
    /// `statistics.jsonl`
    public var jsonlURL: URL { url.appendingPathComponent("statistics.jsonl") }
    /// `npy/`
    public var npyDirectory: URL { url.appendingPathComponent("npy", isDirectory: true) }
    /// `plots/`
    public var plotsDirectory: URL { url.appendingPathComponent("plots", isDirectory: true) }
    /// `report.html`
    public var reportURL: URL { url.appendingPathComponent("report.html") }

    /// The outputs an earlier run left in the folder at `path` (`run.json`, the statistics, `checkpoint/`,
    /// `npy/`, `plots/`, the report, TensorBoard event files), by name; empty when there are none or the
    /// folder does not exist. A fresh run refuses such a folder unless asked to replace it.
    public static func earlierOutputs(at path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let known: Set<String> = ["run.json", "statistics.csv", "statistics.jsonl", "checkpoint", "npy", "plots",
                                  "report.html", "pca-eval.csv"]
        return names.filter { known.contains($0) || $0.hasPrefix("events.out.tfevents.") }.sorted()
    }

    /// Writes `run.json` with the run's configuration (ordered name/value pairs) and its status.
    public func writeInfo(_ info: RunInfo) throws(WriterError) {
        try writeAtomically(Data((info.jsonValue.text + "\n").utf8), to: runInfoURL)
    }

    /// Reads `run.json`; nil when the run has none.
    public func readInfo() throws(WriterError) -> RunInfo? {
        guard let data = FileManager.default.contents(atPath: runInfoURL.path) else { return nil }
        let json = try JSONValue.parse(String(decoding: data, as: UTF8.self), source: runInfoURL.path)
        return RunInfo(json: json)
    }

    /// Marks the run as closed in `run.json` (creating it when missing).
    public func markClosed() throws(WriterError) {
        var info = (try? readInfo()) ?? nil ?? RunInfo(configuration: [])
        info.status = .closed
        try writeInfo(info)
    }

    /// Reads every record of `statistics.jsonl`, in file order; empty when the file does not exist.
    public func readRecords() throws(WriterError) -> [EpochRecord] {
        guard let data = FileManager.default.contents(atPath: jsonlURL.path) else { return [] }
        var records: [EpochRecord] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let json = try JSONValue.parse(String(line), source: jsonlURL.path, line: i + 1)
            records.append(try EpochRecord(json: json, source: jsonlURL.path, line: i + 1))
        }
        return records
    }
}

/// What `run.json` holds: the run's configuration and whether it is still running.
public struct RunInfo: Sendable, Equatable {
    /// Whether a run is in progress.
    public enum Status: String, Sendable {
        /// Writers are still writing; the report refreshes itself.
        case running
        /// The writers were closed.
        case closed
    }

    /// Configuration entries (model, dataset, batch size, δ, ...) in display order.
    public var configuration: [Pair]
    /// Running or closed.
    public var status: Status
    /// When the run started (ISO 8601, UTC).
    public var started: String
    /// The structural ceilings of the run's layers (kept in `run.json` when there are any).
    public var ceilings = StructuralCeilings()

    /// One configuration entry.
    public struct Pair: Sendable, Equatable {
        /// The setting's name.
        public var name: String
        /// Its value, as text.
        public var value: String
        /// Creates an entry.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates run information; `started` defaults to now.
    public init(configuration: [Pair], status: Status = .running, started: Date = Date(),
                ceilings: StructuralCeilings = StructuralCeilings()) {
        self.configuration = configuration
        self.ceilings = ceilings
        self.status = status
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        self.started = formatter.string(from: started)
    }

    /// The JSON form written to `run.json`.
    public var jsonValue: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("status", .string(status.rawValue)),
            ("started", .string(started)),
            ("configuration", .object(configuration.map { ($0.name, .string($0.value)) })),
        ]
        if !ceilings.isEmpty { pairs.append(("ceilings", ceilings.jsonValue)) }
        return .object(pairs)
    }

    /// Reads the JSON form; missing fields get defaults.
    public init(json: JSONValue) {
        configuration = (json["configuration"]?.objectValue ?? []).map { Pair($0.0, $0.1.stringValue ?? $0.1.text) }
        status = Status(rawValue: json["status"]?.stringValue ?? "") ?? .closed
        started = json["started"]?.stringValue ?? ""
        ceilings = StructuralCeilings(json: json["ceilings"])
    }
}
