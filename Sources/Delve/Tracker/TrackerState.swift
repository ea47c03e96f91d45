import Foundation

/// What a ``SaturationTracker`` carries from one epoch to the next, saved at an epoch end so that a
/// run can be resumed exactly: the number of the next epoch, the layer order, pending user scalars, and —
/// when ``TrackerOptions/resetCovariance`` is off — every layer's running covariance accumulator.
///
/// On disk (``write(to:)``) it is a folder: `tracker.json` with the epoch, layer order, scalars and the
/// list of accumulators, and one `<phase>-<k>.cov` file per accumulator in the format of
/// ``CovarianceAccumulator/serialized()`` (with its own checksum).
public struct TrackerState: Sendable {
    /// The number of the next epoch to record.
    public var epoch: Int
    /// Layer names in the order their first batch arrived.
    public var layerOrder: [String]
    /// User scalars added for the next epoch (usually none at an epoch end).
    public var scalars: [Scalar]
    /// The running accumulators (only when the covariance is not reset every epoch).
    public var accumulators: [Accumulator]

    /// A user scalar.
    public struct Scalar: Sendable, Equatable {
        /// Its name.
        public var name: String
        /// Its value.
        public var value: Double
        /// Creates a scalar.
        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }
    }

    /// One layer's accumulator in one phase.
    public struct Accumulator: Sendable {
        /// The layer.
        public var layer: String
        /// The phase.
        public var phase: Phase
        /// ``CovarianceAccumulator/serialized()`` bytes.
        public var bytes: [UInt8]
        /// Creates an entry.
        public init(layer: String, phase: Phase, bytes: [UInt8]) {
            self.layer = layer
            self.phase = phase
            self.bytes = bytes
        }
    }

    /// Creates a state.
    public init(epoch: Int, layerOrder: [String] = [], scalars: [Scalar] = [], accumulators: [Accumulator] = []) {
        self.epoch = epoch
        self.layerOrder = layerOrder
        self.scalars = scalars
        self.accumulators = accumulators
    }

    /// The name of the JSON file inside the state folder.
    public static let fileName = "tracker.json"

    /// Writes the state into `directory` (created when missing): the accumulator files first, then
    /// `tracker.json`, each atomically (temporary file, then rename).
    public func write(to directory: URL) throws(TrackerError) {
        do {
            try createDirectory(directory)
        } catch {
            throw .state(path: directory.path, reason: error.description)
        }
        var entries: [JSONValue] = []
        for (k, accumulator) in accumulators.enumerated() {
            let file = "\(accumulator.phase.rawValue)-\(k).cov"
            let url = directory.appendingPathComponent(file)
            do {
                try writeAtomically(Data(accumulator.bytes), to: url)
            } catch {
                throw .state(path: url.path, reason: error.description)
            }
            entries.append(.object([("layer", .string(accumulator.layer)), ("phase", .string(accumulator.phase.rawValue)),
                                    ("file", .string(file))]))
        }
        let json = JSONValue.object([
            ("epoch", .number(Double(epoch))),
            ("layers", .array(layerOrder.map(JSONValue.string))),
            ("scalars", .array(scalars.map { .object([("name", .string($0.name)), ("value", .string(String($0.value.bitPattern)))]) })),
            ("accumulators", .array(entries)),
        ])
        let url = directory.appendingPathComponent(Self.fileName)
        do {
            try writeAtomically(Data((json.text + "\n").utf8), to: url)
        } catch {
            throw .state(path: url.path, reason: error.description)
        }
    }

    /// Reads a state written by ``write(to:)``; every accumulator file is checked (size, checksum).
    /// Errors name the file and what was expected.
    public static func read(from directory: URL) throws(TrackerError) -> TrackerState {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .state(path: url.path, reason: "missing or unreadable")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(String(decoding: data, as: UTF8.self), source: url.path)
        } catch {
            throw .state(path: url.path, reason: error.description)
        }
        func fail(_ reason: String) -> TrackerError { .state(path: url.path, reason: reason) }
        guard let epochValue = json["epoch"]?.doubleValue, epochValue >= 0, epochValue == epochValue.rounded(), epochValue < 1e15 else {
            throw fail("\"epoch\" must be a non-negative integer")
        }
        guard let layers = json["layers"]?.arrayValue?.compactMap(\.stringValue),
              layers.count == json["layers"]?.arrayValue?.count else {
            throw fail("\"layers\" must be an array of layer names")
        }
        var scalars: [Scalar] = []
        for item in json["scalars"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue, let bits = item["value"]?.stringValue.flatMap(UInt64.init) else {
                throw fail("a scalar needs a \"name\" and a \"value\" (the float64 bit pattern as a decimal string)")
            }
            scalars.append(Scalar(name: name, value: Double(bitPattern: bits)))
        }
        var accumulators: [Accumulator] = []
        for item in json["accumulators"]?.arrayValue ?? [] {
            guard let layer = item["layer"]?.stringValue, let phaseText = item["phase"]?.stringValue,
                  let phase = Phase(rawValue: phaseText), let file = item["file"]?.stringValue,
                  !file.contains("/"), !file.hasPrefix(".") else {
                throw fail("an accumulator entry needs \"layer\", \"phase\" (train or eval) and a plain \"file\" name")
            }
            let fileURL = directory.appendingPathComponent(file)
            guard let bytes = FileManager.default.contents(atPath: fileURL.path) else {
                throw .state(path: fileURL.path, reason: "missing or unreadable accumulator file")
            }
            do {
                _ = try CovarianceAccumulator(serialized: [UInt8](bytes), source: fileURL.path)
            } catch {
                throw .state(path: fileURL.path, reason: error.description)
            }
            accumulators.append(Accumulator(layer: layer, phase: phase, bytes: [UInt8](bytes)))
        }
        return TrackerState(epoch: Int(epochValue), layerOrder: layers, scalars: scalars, accumulators: accumulators)
    }
}

extension SaturationTracker {
    /// The tracker's state between epochs (call right after ``endEpoch()``, or after
    /// ``endEpochInBackground()`` without waiting: the background work only reads what it was handed).
    /// The accumulators are included only when ``TrackerOptions/resetCovariance`` is off (otherwise they
    /// are empty anyway).
    public func exportState() -> TrackerState {
        lock.withLock {
            var accumulators: [TrackerState.Accumulator] = []
            if !options.resetCovariance {
                for layer in layerOrder {
                    for phase in Phase.allCases {
                        guard let slot = slots[SlotKey(layer: layer, phase: phase)] else { continue }
                        let bytes = slot.lock.withLock { slot.accumulator?.serialized() }
                        if let bytes { accumulators.append(.init(layer: layer, phase: phase, bytes: bytes)) }
                    }
                }
            }
            return TrackerState(epoch: currentEpoch, layerOrder: layerOrder,
                                scalars: scalars.map { TrackerState.Scalar(name: $0.name, value: $0.value) },
                                accumulators: accumulators)
        }
    }

    /// Restores a state saved by ``exportState()`` into a fresh tracker (before any batch): the next
    /// epoch's number, the layer order, pending scalars and the accumulators. All or nothing; `source`
    /// names the state in errors.
    public func restoreState(_ state: TrackerState, source: String = "<memory>") throws(TrackerError) {
        guard state.epoch >= 0 else { throw .state(path: source, reason: "negative epoch \(state.epoch)") }
        var restored: [SlotKey: Slot] = [:]
        for entry in state.accumulators {
            let accumulator: CovarianceAccumulator
            do {
                accumulator = try CovarianceAccumulator(serialized: entry.bytes, source: source)
            } catch {
                throw .state(path: source, reason: "accumulator of layer '\(entry.layer)' (\(entry.phase.rawValue)): \(error)")
            }
            guard accumulator.precision == options.precision else {
                throw .state(path: source, reason: "accumulator of layer '\(entry.layer)' was saved in \(accumulator.precision.rawValue), the tracker uses \(options.precision.rawValue)")
            }
            let slot = Slot()
            slot.accumulator = accumulator
            restored[SlotKey(layer: entry.layer, phase: entry.phase)] = slot
        }
        lock.withLock {
            currentEpoch = state.epoch
            layerOrder = state.layerOrder
            for entry in state.accumulators where !layerOrder.contains(entry.layer) { layerOrder.append(entry.layer) }
            scalars = state.scalars.map { ($0.name, $0.value) }
            slots = restored
        }
    }
}
