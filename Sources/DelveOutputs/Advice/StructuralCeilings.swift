import Delve

/// The structural ceiling of a layer: the largest intrinsic dimensionality its shape allows, whatever
/// it learns (a convolution's outputs span at most C_in·k_h·k_w directions, a linear layer's at most its
/// input width, ...). Computed from a DelveNN model by DelveTraining, or stated by a library user.
public struct StructuralCeiling: Sendable, Equatable {
    /// The most output directions the layer can have.
    public var dimensions: Int
    /// Why, in words: "1 input channel × 3×3 kernel".
    public var reason: String

    /// Creates a ceiling.
    public init(dimensions: Int, reason: String) {
        self.dimensions = dimensions
        self.reason = reason
    }
}

/// The structural ceilings of a run's layers, by layer name (layers without one are not listed).
public struct StructuralCeilings: Sendable, Equatable {
    /// The ceilings in network order.
    public var layers: [(name: String, ceiling: StructuralCeiling)]

    /// Creates the ceilings of `layers` (network order).
    public init(_ layers: [(name: String, ceiling: StructuralCeiling)] = []) {
        self.layers = layers
    }

    public static func == (a: StructuralCeilings, b: StructuralCeilings) -> Bool {
        a.layers.count == b.layers.count && zip(a.layers, b.layers).allSatisfy { $0.name == $1.name && $0.ceiling == $1.ceiling }
    }

    /// Whether no layer has a ceiling.
    public var isEmpty: Bool { layers.isEmpty }

    /// The ceiling of `layer`, if it has one.
    public subscript(layer: String) -> StructuralCeiling? {
        layers.first(where: { $0.name == layer })?.ceiling
    }

    /// The highest saturation `layer` can reach with `features` outputs (ceiling / D), or nil when its
    /// ceiling does not limit it (no ceiling, or a ceiling of at least D).
    public func saturationLimit(layer: String, features: Int) -> Double? {
        guard let ceiling = self[layer], features > 0, ceiling.dimensions < features else { return nil }
        return Double(ceiling.dimensions) / Double(features)
    }

    /// Whether `values` sits at its layer's ceiling: its saturation reaches `share` of the limit.
    public func isAtCeiling(_ values: LayerEpochValues, share: Double) -> Bool {
        guard let limit = saturationLimit(layer: values.layer, features: values.features),
              let saturation = values.statistics[.lsat], saturation.isFinite else { return false }
        return saturation >= share * limit
    }

    /// The JSON form kept in `run.json`: `{"conv1": {"dimensions": 9, "reason": "…"}}`.
    public var jsonValue: JSONValue {
        .object(layers.map { ($0.name, .object([("dimensions", .number(Double($0.ceiling.dimensions))),
                                                 ("reason", .string($0.ceiling.reason))])) })
    }

    /// Reads the JSON form; entries without a positive whole `dimensions` are left out.
    public init(json: JSONValue?) {
        layers = (json?.objectValue ?? []).compactMap { name, value in
            guard let d = value["dimensions"]?.doubleValue, d >= 1, d == d.rounded(), d < 1e12 else { return nil }
            return (name, StructuralCeiling(dimensions: Int(d), reason: value["reason"]?.stringValue ?? ""))
        }
    }
}
