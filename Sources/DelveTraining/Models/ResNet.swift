import DelveData
import DelveNN

/// A small residual network: `stem` (Conv2d 3×3 → `width` channels, BatchNorm2d, ReLU), then `blocks`
/// residual blocks (`ResidualBlock`; from the second on, each halves the map and doubles the channels
/// while the map is larger than 1×1), global average pooling and a linear `classifier`.
/// Layer paths: `stem.0`, `blocks.0`, `blocks.0.conv1`, …, `pool`, `classifier`.
public final class ResNet: Module {
    /// The first convolution, its normalization and ReLU.
    public let stem: Sequential
    /// The residual blocks.
    public let blocks: Sequential
    /// Global average pooling to 1×1.
    public let pool: AdaptiveAvgPool2d
    /// The output layer.
    public let classifier: Linear

    /// Builds the network for `channels`×`height`×`width` inputs, initialized from `rng`.
    public init(channels: Int, height: Int, width: Int, classes: Int, blockCount: Int, baseWidth: Int, rng: inout some RandomNumberGenerator) {
        stem = Sequential(Conv2d(channels, baseWidth, kernelSize: 3, padding: 1, bias: false, rng: &rng), BatchNorm2d(baseWidth), ReLU())
        var list: [Module] = []
        var c = baseWidth, h = height, w = width
        for i in 0 ..< blockCount {
            let downsample = i > 0 && (h > 1 || w > 1)
            let out = downsample ? c * 2 : c
            list.append(ResidualBlock(c, out, stride: downsample ? 2 : 1, rng: &rng))
            if downsample {
                h = (h + 1) / 2
                w = (w + 1) / 2
            }
            c = out
        }
        blocks = Sequential(list)
        pool = AdaptiveAvgPool2d(outputSize: 1)
        classifier = Linear(c, classes, rng: &rng)
        super.init()
    }

    /// stem → blocks → average pool → flatten → classifier.
    public override func forward(_ input: Tensor) -> Tensor {
        classifier(pool(blocks(stem(input))).flattened(startDim: 1))
    }
}
