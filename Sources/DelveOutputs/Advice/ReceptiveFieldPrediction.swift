import Delve

/// The receptive-field prediction of a run's unproductive layers, as plain data (computed from a DelveNN
/// model by DelveTraining, kept in `receptive-field.json`): per layer the receptive field r and jump j
/// in input pixels, and the border layer — the first layer whose input already sees the whole input —
/// from which on the convolutions cannot add spatial context (Richter, Shenk et al., *Should you go
/// deeper?*, arXiv 2106.12307).
public struct ReceptiveFieldPrediction: Sendable, Equatable {
    /// One layer's receptive field.
    public struct Layer: Sendable, Equatable {
        /// The layer's path name, as the tracker names it.
        public var name: String
        /// The layer type (`Conv2d`), empty when not recorded.
        public var type: String
        /// Receptive field, height and width, in input pixels.
        public var receptiveField: [Double]
        /// Jump (distance between neighbouring outputs), height and width, in input pixels.
        public var jump: [Double]

        /// Creates a layer entry.
        public init(name: String, type: String, receptiveField: [Double], jump: [Double]) {
            self.name = name
            self.type = type
            self.receptiveField = receptiveField
            self.jump = jump
        }
    }

    /// The input size, height and width.
    public var input: [Int]
    /// The layers in network order.
    public var layers: [Layer]
    /// The border layer, nil when no layer's input sees the whole input.
    public var borderLayer: String?
    /// The convolutions from the border layer on, predicted unproductive (network order).
    public var unproductiveLayers: [String]

    /// Creates a prediction.
    public init(input: [Int], layers: [Layer], borderLayer: String?, unproductiveLayers: [String]) {
        self.input = input
        self.layers = layers
        self.borderLayer = borderLayer
        self.unproductiveLayers = unproductiveLayers
    }

    /// `H×W`.
    public var inputText: String { input.map(String.init).joined(separator: "×") }

    /// The JSON form, as `delve receptive-field --format json` prints it: `{"input": [H, W], "layers":
    /// [{"name", "type", "receptive_field": [h, w], "jump": [h, w]}], "border_layer": name or null,
    /// "unproductive_layers": [names]}`.
    public var jsonValue: JSONValue {
        .object([
            ("input", .array(input.map { .number(Double($0)) })),
            ("layers", .array(layers.map { layer in
                .object([("name", .string(layer.name)), ("type", .string(layer.type)),
                         ("receptive_field", .array(layer.receptiveField.map { .number($0) })),
                         ("jump", .array(layer.jump.map { .number($0) }))])
            })),
            ("border_layer", borderLayer.map { .string($0) } ?? .null),
            ("unproductive_layers", .array(unproductiveLayers.map { .string($0) })),
        ])
    }

    /// Reads the JSON form; `source` names the file in the error.
    public init(json: JSONValue, source: String) throws(WriterError) {
        func bad(_ what: String) -> WriterError { .malformed(path: source, line: 1, reason: "not a receptive-field file: \(what)") }
        func pair(_ value: JSONValue?, _ key: String) throws(WriterError) -> [Double] {
            guard let items = value?.arrayValue, items.count == 2 else { throw bad("\"\(key)\" must be [height, width]") }
            let numbers = items.compactMap(\.doubleValue)
            guard numbers.count == 2, numbers.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw bad("\"\(key)\" must hold two positive numbers")
            }
            return numbers
        }
        let size = try pair(json["input"], "input")
        guard size.allSatisfy({ $0 == $0.rounded() && $0 < 1e9 }) else { throw bad("\"input\" must hold whole numbers") }
        input = size.map { Int($0) }
        guard let items = json["layers"]?.arrayValue else { throw bad("\"layers\" must be a list") }
        var layers: [Layer] = []
        for item in items {
            guard let name = item["name"]?.stringValue else { throw bad("every layer needs a \"name\"") }
            layers.append(Layer(name: name, type: item["type"]?.stringValue ?? "",
                                receptiveField: try pair(item["receptive_field"], "receptive_field"), jump: try pair(item["jump"], "jump")))
        }
        self.layers = layers
        switch json["border_layer"] {
        case .string(let name)?: borderLayer = name
        case .null?, nil: borderLayer = nil
        default: throw bad("\"border_layer\" must be a layer name or null")
        }
        unproductiveLayers = (json["unproductive_layers"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// One line for the console at the start of `delve train`.
    public var summary: String {
        guard let border = borderLayer else {
            let last = layers.last(where: { $0.type.hasPrefix("Conv") }) ?? layers.last
            let seen = last.map { " (\($0.name) sees \(ReceptiveFieldPrediction.sizeText($0.receptiveField)))" } ?? ""
            return "Receptive field at \(inputText) inputs: no layer's input covers the whole input\(seen); none predicted unproductive."
        }
        let list = unproductiveLayers.isEmpty ? "no convolution follows it" : "predicted unproductive: \(unproductiveLayers.joined(separator: ", "))"
        return "Receptive field at \(inputText) inputs: border layer \(border) (its input already sees the whole input); \(list)."
    }

    /// `3×3`, `0.5×0.5`: whole numbers without a fraction, others as their shortest round-trip text.
    public static func sizeText(_ pair: [Double]) -> String {
        pair.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : delveNumberText($0) }.joined(separator: "×")
    }
}

/// How the receptive-field prediction compares with the measured tail.
public struct ReceptiveFieldAgreement: Sendable, Equatable {
    /// The first predicted unproductive layer among the tracked ones, nil when none is predicted.
    public var predictedStart: String?
    /// The first layer of the measured tail, nil when there is no tail pattern.
    public var measuredStart: String?
    /// How many tracked layers apart the two starts are, when both exist.
    public var distance: Int?
    /// The input size, `H×W`.
    public var inputText: String

    /// Whether they agree: both start within one tracked layer of each other, or neither predicts a tail.
    public var agree: Bool {
        switch (predictedStart, measuredStart) {
        case (nil, nil): return true
        case (.some, .some): return (distance ?? .max) <= 1
        default: return false
        }
    }

    /// Compares `prediction` with the tail `measured` (its first layer), positions counted in `trackedLayers`
    /// (the record's layers in network order, output layer included).
    public init(prediction: ReceptiveFieldPrediction, measured: TailPattern?, trackedLayers: [String]) {
        inputText = prediction.inputText
        predictedStart = prediction.unproductiveLayers.first { trackedLayers.contains($0) }
        measuredStart = measured?.layers.first
        if let p = predictedStart, let m = measuredStart,
           let i = trackedLayers.firstIndex(of: p), let k = trackedLayers.firstIndex(of: m) {
            distance = abs(i - k)
        }
    }

    /// The sentence of the advice: "The receptive field predicts the convolutions from conv5 on to be
    /// unproductive at 8×8 inputs; the measured tail starts at conv6: they agree within one layer."
    public var sentence: String {
        let predicted = predictedStart.map { "The receptive field predicts the convolutions from \($0) on to be unproductive at \(inputText) inputs" }
            ?? "The receptive field predicts no unproductive convolution at \(inputText) inputs"
        let measured = measuredStart.map { "the measured tail starts at \($0)" } ?? "no tail is measured"
        let verdict: String
        switch (predictedStart, measuredStart, distance) {
        case (nil, nil, _): verdict = "they agree"
        case (.some, .some, 0?): verdict = "they agree"
        case (.some, .some, 1?): verdict = "they agree within one layer"
        case (.some, .some, let d?): verdict = "they disagree by \(d) layers"
        case (.some, nil, _): verdict = "they disagree (the predicted layers may still learn non-spatial features)"
        default: verdict = "they disagree (the tail has another cause than the receptive field)"
        }
        return "\(predicted); \(measured): \(verdict)."
    }
}
