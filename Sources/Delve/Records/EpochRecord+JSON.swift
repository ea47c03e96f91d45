/// The JSON form of an epoch record, one line of `statistics.jsonl`:
///
/// ```json
/// {"epoch":0,"threshold":0.99,
///  "values":{"train-saturation_fc1":0.5,...,"test-accuracy":0.9},
///  "layers":[{"layer":"fc1","phase":"train","features":64,"samples":1000,
///             "statistics":{"lsat":0.5,"idim":32},"eigenvalues":[...],"notes":[]}],
///  "scalars":[{"name":"test-accuracy","value":0.9}]}
/// ```
///
/// A layer entry also has `"skipped_batches":N` when bad batches were skipped. A record with linear CKA
/// (``EpochRecord/similarity``) also has `"cka":[{"phase":"eval","layers":[…],"features":[…],"samples":N,
/// "matrix":[[…],…],"notes":[]}]`, rows and columns in `layers` order.
/// `values` holds every number under its output key (``EpochRecord/keyedValues``); `layers` and `scalars`
/// keep the structure so that the record can be read back (covariance matrices are not included: the npy
/// writer stores them). Non-finite numbers are the strings `"inf"`, `"-inf"`, `"nan"`.
extension EpochRecord {
    /// The record as a JSON object (see the type's documentation for the layout).
    public var jsonValue: JSONValue {
        let values = keyedValues.map { ($0.key, JSONValue.double($0.value)) }
        let layers = self.layers.map { entry -> JSONValue in
            var pairs: [(String, JSONValue)] = [
                ("layer", .string(entry.layer)),
                ("phase", .string(entry.phase.rawValue)),
                ("features", .number(Double(entry.features))),
                ("samples", .number(Double(entry.samples))),
                ("statistics", .object(entry.orderedStatistics.map { ($0.statistic.rawValue, .double($0.value)) })),
            ]
            if let eigen = entry.eigenvalues { pairs.append(("eigenvalues", .array(eigen.map(JSONValue.double)))) }
            pairs.append(("notes", .array(entry.notes.map(JSONValue.string))))
            if entry.skippedBatches > 0 { pairs.append(("skipped_batches", .number(Double(entry.skippedBatches)))) }
            return .object(pairs)
        }
        let scalars = self.scalars.map { JSONValue.object([("name", .string($0.name)), ("value", .double($0.value))]) }
        var pairs: [(String, JSONValue)] = [
            ("epoch", .number(Double(epoch))),
            ("threshold", .double(threshold)),
            ("values", .object(values)),
            ("layers", .array(layers)),
            ("scalars", .array(scalars)),
        ]
        if !similarity.isEmpty { pairs.append(("cka", .array(similarity.map(\.jsonValue)))) }
        return .object(pairs)
    }

    /// Reads a record back from its JSON form; `source` and `line` name the place in error messages.
    public init(json: JSONValue, source: String = "<json>", line: Int = 1) throws(WriterError) {
        func fail(_ reason: String) -> WriterError { .malformed(path: source, line: line, reason: reason) }
        guard let epoch = json["epoch"]?.doubleValue, epoch >= 0, epoch == epoch.rounded() else {
            throw fail("missing or invalid \"epoch\" (expected a non-negative integer)")
        }
        guard let threshold = json["threshold"]?.doubleValue else { throw fail("missing \"threshold\"") }
        var layers: [LayerEpochValues] = []
        for item in json["layers"]?.arrayValue ?? [] {
            guard let name = item["layer"]?.stringValue else { throw fail("a layer entry has no \"layer\" name") }
            guard let phaseText = item["phase"]?.stringValue, let phase = Phase(rawValue: phaseText) else {
                throw fail("layer \(name): \"phase\" must be train or eval")
            }
            var statistics: [Statistic: Double] = [:]
            for (key, value) in item["statistics"]?.objectValue ?? [] {
                guard let stat = Statistic(rawValue: key), let number = value.doubleValue else {
                    throw fail("layer \(name): unknown statistic \"\(key)\" or non-numeric value")
                }
                statistics[stat] = number
            }
            var eigenvalues: [Double]?
            if let items = item["eigenvalues"]?.arrayValue {
                eigenvalues = []
                for value in items {
                    guard let number = value.doubleValue else { throw fail("layer \(name): non-numeric eigenvalue") }
                    eigenvalues!.append(number)
                }
            }
            layers.append(LayerEpochValues(
                layer: name, phase: phase,
                features: Int(item["features"]?.doubleValue ?? 0),
                samples: Int(item["samples"]?.doubleValue ?? 0),
                statistics: statistics, eigenvalues: eigenvalues,
                notes: (item["notes"]?.arrayValue ?? []).compactMap(\.stringValue),
                skippedBatches: Int(item["skipped_batches"]?.doubleValue ?? 0)))
        }
        var scalars: [(name: String, value: Double)] = []
        for item in json["scalars"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue, let value = item["value"]?.doubleValue else {
                throw fail("a scalar entry needs \"name\" and a numeric \"value\"")
            }
            scalars.append((name, value))
        }
        self.init(epoch: Int(epoch), layers: layers, scalars: scalars, threshold: threshold)
        for item in json["cka"]?.arrayValue ?? [] {
            do { similarity.append(try CKAMatrix(json: item)) } catch { throw fail(error.description) }
        }
    }
}
