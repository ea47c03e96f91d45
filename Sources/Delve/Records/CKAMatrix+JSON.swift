extension CKAMatrix {
    /// `{"phase":"eval","layers":[…],"features":[…],"samples":N,"matrix":[[…],…],"notes":[…]}`, rows in
    /// `layers` order; NaN is the string `"nan"`.
    public var jsonValue: JSONValue {
        let count = layers.count
        let rows = (0..<count).map { i in JSONValue.array((0..<count).map { JSONValue.double(self[i, $0]) }) }
        return .object([
            ("phase", .string(phase.rawValue)),
            ("layers", .array(layers.map(JSONValue.string))),
            ("features", .array(features.map { .number(Double($0)) })),
            ("samples", .number(Double(samples))),
            ("matrix", .array(rows)),
            ("notes", .array(notes.map(JSONValue.string))),
        ])
    }

    /// Reads ``jsonValue`` back.
    public init(json: JSONValue) throws(WriterError) {
        guard let phaseText = json["phase"]?.stringValue, let phase = Phase(rawValue: phaseText) else {
            throw .invalidArgument("CKA: a \"cka\" entry needs \"phase\": train or eval")
        }
        let layers = (json["layers"]?.arrayValue ?? []).compactMap(\.stringValue)
        let features = (json["features"]?.arrayValue ?? []).compactMap { $0.doubleValue.map { Int($0) } }
        let rows = json["matrix"]?.arrayValue ?? []
        guard features.count == layers.count, rows.count == layers.count else {
            throw .invalidArgument("CKA: a \"cka\" entry needs as many \"features\" and \"matrix\" rows as \"layers\" (\(layers.count))")
        }
        var values: [Double] = []
        for row in rows {
            let numbers = (row.arrayValue ?? []).compactMap(\.doubleValue)
            guard numbers.count == layers.count else { throw .invalidArgument("CKA: a \"cka\" matrix row needs \(layers.count) numbers") }
            values += numbers
        }
        self.init(phase: phase, layers: layers, features: features, samples: Int(json["samples"]?.doubleValue ?? 0),
                  values: values, notes: (json["notes"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}
