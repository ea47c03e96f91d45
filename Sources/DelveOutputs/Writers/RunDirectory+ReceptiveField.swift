import Delve
import Foundation

extension RunDirectory {
    /// `receptive-field.json`: the run's `ReceptiveFieldPrediction`, the JSON of `delve receptive-field`.
    public var receptiveFieldURL: URL { url.appendingPathComponent("receptive-field.json") }

    /// Writes `prediction` to `receptive-field.json` (atomically).
    public func writeReceptiveField(_ prediction: ReceptiveFieldPrediction) throws(WriterError) {
        try writeAtomically(Data((prediction.jsonValue.text + "\n").utf8), to: receptiveFieldURL)
    }

    /// Reads `receptive-field.json`; nil when the run has none (a model without a 2-D receptive field).
    public func readReceptiveField() throws(WriterError) -> ReceptiveFieldPrediction? {
        guard let data = FileManager.default.contents(atPath: receptiveFieldURL.path) else { return nil }
        let json = try JSONValue.parse(String(decoding: data, as: UTF8.self), source: receptiveFieldURL.path)
        return try ReceptiveFieldPrediction(json: json, source: receptiveFieldURL.path)
    }
}
