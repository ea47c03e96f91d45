import ArgumentParser
import Delve
import DelveNNTracking
import DelveOutputs
import DelveTraining
import Foundation

/// `delve receptive-field --model cnn --input 8x8`: receptive field, jump and border layer of a zoo model.
struct ReceptiveFieldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receptive-field",
        abstract: "Receptive field sizes, jumps and the border layer of a model for an input size.",
        discussion: """
            Walks the model built as 'delve train' builds it: per layer (convolutions, pooling, linear) the \
            receptive field r and jump j in input pixels (r = r₋ + (k − 1)·d·j₋, j = j₋·s; residual paths merge \
            by the largest r). The border layer is the first layer whose input already sees the whole input; it \
            and the convolutions after it cannot add spatial context and are predicted unproductive (Richter, \
            Shenk et al. 2021, arXiv 2106.12307). 'delve train' records the same JSON in RUN_DIR/receptive-field.json.
            """
    )

    @Option(help: "The model: \(ModelZoo.names.joined(separator: ", ")) (lstm has no 2-D receptive field).")
    var model: String

    @Option(name: .customLong("model-options"), help: "Model options as for 'delve train', e.g. depth=8,width=32.")
    var modelOptions = ""

    @Option(help: "The input size HxW (e.g. 8x8, 32x32).")
    var input: String

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    /// The output formats.
    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// `HxW` as (height, width); nil when it is not two positive integers separated by x.
    static func parseSize(_ text: String) -> (Int, Int)? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h > 0, w > 0 else { return nil }
        return (h, w)
    }

    func validate() throws {
        guard Self.parseSize(input) != nil else {
            throw ValidationError("--input must be HxW with two positive integers (e.g. 8x8), got '\(input)'")
        }
    }

    func run() throws {
        guard let size = Self.parseSize(input) else { return }
        let (height, width) = size
        let prediction: ReceptiveFieldPrediction
        do {
            prediction = try ModelZoo.receptiveField(model: model, options: modelOptions, height: height, width: width)
        } catch let error as ModelZooError {
            throw ValidationError(error.description)
        } catch let error as ReceptiveFieldError {
            throw ValidationError("--model \(model) --input \(input): \(error.description)")
        }
        switch format {
        case .json: print(prediction.jsonValue.text)
        case .text: print(Self.table(prediction), terminator: "")
        }
    }

    /// The text form: one row per layer, then the border layer and the predicted unproductive layers.
    static func table(_ prediction: ReceptiveFieldPrediction) -> String {
        let rows = [("layer", "type", "receptive field", "jump")] + prediction.layers.map {
            ($0.name, $0.type, ReceptiveFieldPrediction.sizeText($0.receptiveField), ReceptiveFieldPrediction.sizeText($0.jump))
        }
        let widths = [rows.map(\.0.count).max() ?? 0, rows.map(\.1.count).max() ?? 0, rows.map(\.2.count).max() ?? 0]
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        var out = "Receptive fields for \(prediction.inputText) inputs (height×width, in input pixels)\n"
        for row in rows {
            out += pad(row.0, widths[0]) + "  " + pad(row.1, widths[1]) + "  " + pad(row.2, widths[2]) + "  " + row.3 + "\n"
        }
        out += "Border layer: \(prediction.borderLayer ?? "none (no layer's input sees the whole input)")\n"
        out += "Predicted unproductive: \(prediction.unproductiveLayers.isEmpty ? "none" : prediction.unproductiveLayers.joined(separator: ", "))\n"
        return out
    }
}
