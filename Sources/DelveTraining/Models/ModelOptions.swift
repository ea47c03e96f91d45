import DelveData
import DelveNN
import Foundation

/// The knobs of the model zoo (each model reads the ones it needs; defaults suit the 8×8 digits).
///
/// As text (`ModelOptions(parsing:)`, e.g. for `delve train --model cnn --model-options …`):
/// comma-separated `key=value` pairs, keys `hidden` (MLP hidden sizes, `128x64`; `none` for no hidden
/// layer), `depth`, `width`, `batchnorm` (`true`/`false`), `pool-every`, `classifier-hidden`, `blocks`,
/// `lstm-hidden`, `lstm-layers`.
public struct ModelOptions: Sendable, Equatable {
    /// `mlp`: hidden layer widths, first to last.
    public var hidden: [Int]
    /// `cnn`: number of 3×3 convolutions.
    public var depth: Int
    /// `cnn`, `resnet`, `autoencoder`: channels of the convolutions (resnet and autoencoder double them
    /// at each downsampling).
    public var width: Int
    /// `cnn`: BatchNorm2d after every convolution (`resnet` always uses it).
    public var batchNorm: Bool
    /// `cnn`: a 2×2 max-pool after every `poolEvery` convolutions while the map is larger than 1×1.
    public var poolEvery: Int
    /// `cnn`: width of the classifier's hidden layer (0: a single linear layer).
    public var classifierHidden: Int
    /// `resnet`: number of residual blocks (the 2nd, 3rd, … halve the map while it is larger than 1×1).
    public var blocks: Int
    /// `lstm`: hidden size.
    public var lstmHidden: Int
    /// `lstm`: stacked layers.
    public var lstmLayers: Int

    /// Creates options; every default suits the embedded 8×8 digits.
    public init(
        hidden: [Int] = [128, 64], depth: Int = 4, width: Int = 16, batchNorm: Bool = false, poolEvery: Int = 2,
        classifierHidden: Int = 64, blocks: Int = 3, lstmHidden: Int = 64, lstmLayers: Int = 1
    ) {
        self.hidden = hidden
        self.depth = depth
        self.width = width
        self.batchNorm = batchNorm
        self.poolEvery = poolEvery
        self.classifierHidden = classifierHidden
        self.blocks = blocks
        self.lstmHidden = lstmHidden
        self.lstmLayers = lstmLayers
    }

    /// The option keys understood by `init(parsing:)`.
    public static let keys = ["hidden", "depth", "width", "batchnorm", "pool-every", "classifier-hidden", "blocks", "lstm-hidden", "lstm-layers"]

    /// Parses `key=value,key=value` on top of the defaults (an empty text gives the defaults).
    public init(parsing text: String) throws(ModelZooError) {
        self.init()
        for pair in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .invalidOption(key: pair, message: "expected key=value") }
            let key = parts[0].lowercased(), value = parts[1]
            func positive() throws(ModelZooError) -> Int {
                guard let n = Int(value), n > 0 else { throw .invalidOption(key: key, message: "expected a positive integer, got '\(value)'") }
                return n
            }
            switch key {
            case "hidden":
                if value.lowercased() == "none" { hidden = []; continue }
                let sizes = value.split(whereSeparator: { $0 == "x" || $0 == ":" }).map { Int($0) }
                guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    throw .invalidOption(key: key, message: "expected positive sizes separated by 'x' (e.g. 128x64) or 'none', got '\(value)'")
                }
                hidden = sizes.map { $0! }
            case "depth": depth = try positive()
            case "width": width = try positive()
            case "batchnorm", "bn":
                switch value.lowercased() {
                case "true", "yes", "1", "on": batchNorm = true
                case "false", "no", "0", "off": batchNorm = false
                default: throw .invalidOption(key: key, message: "expected true or false, got '\(value)'")
                }
            case "pool-every": poolEvery = try positive()
            case "classifier-hidden":
                guard let n = Int(value), n >= 0 else { throw .invalidOption(key: key, message: "expected an integer ≥ 0, got '\(value)'") }
                classifierHidden = n
            case "blocks": blocks = try positive()
            case "lstm-hidden": lstmHidden = try positive()
            case "lstm-layers": lstmLayers = try positive()
            default:
                throw .invalidOption(key: key, message: "unknown option; valid options: \(Self.keys.joined(separator: ", "))")
            }
        }
    }
}
