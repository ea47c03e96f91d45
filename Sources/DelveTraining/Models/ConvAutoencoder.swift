import DelveData
import DelveNN

/// A convolutional autoencoder, trained to reproduce its input with `mseLoss(model(x), x)`.
///
/// `encoder`: Conv2d 3×3 stride 2 (→ `width`), ReLU, Conv2d 3×3 stride 2 (→ 2·`width`), ReLU — each
/// halves the map (rounding up). `decoder`: ConvTranspose2d 3×3 stride 2 (→ `width`), ReLU,
/// ConvTranspose2d 3×3 stride 2 (→ input channels) — each output padding chosen so the output has
/// exactly the input's height and width. No final activation, so it reconstructs standardized data too.
/// Layer paths: `encoder.0`, `encoder.2` (the code), `decoder.0`, `decoder.2`.
public final class ConvAutoencoder: Module {
    /// Input → code.
    public let encoder: Sequential
    /// Code → reconstruction.
    public let decoder: Sequential

    /// Builds the autoencoder for `channels`×`height`×`width` inputs, initialized from `rng`.
    public init(channels: Int, height: Int, width: Int, baseWidth: Int, rng: inout some RandomNumberGenerator) {
        func half(_ n: Int) -> Int { (n + 1) / 2 }  // ⌊(n + 2 − 3)/2⌋ + 1 for kernel 3, stride 2, padding 1
        let (h1, w1) = (half(height), half(width)), (h2, w2) = (half(h1), half(w1))
        // A transposed conv (k 3, s 2, p 1) maps n to 2n − 1 + outputPadding.
        func padding(from n: Int, to target: Int) -> Int { target - (2 * n - 1) }
        encoder = Sequential(
            Conv2d(channels, baseWidth, kernelSize: 3, stride: 2, padding: 1, rng: &rng), ReLU(),
            Conv2d(baseWidth, 2 * baseWidth, kernelSize: 3, stride: 2, padding: 1, rng: &rng), ReLU())
        decoder = Sequential(
            ConvTranspose2d(2 * baseWidth, baseWidth, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1),
                            outputPadding: (padding(from: h2, to: h1), padding(from: w2, to: w1)), rng: &rng),
            ReLU(),
            ConvTranspose2d(baseWidth, channels, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1),
                            outputPadding: (padding(from: h1, to: height), padding(from: w1, to: width)), rng: &rng))
        super.init()
    }

    /// The code of `input` (the encoder's output).
    public func encode(_ input: Tensor) -> Tensor { encoder(input) }

    /// encoder → decoder.
    public override func forward(_ input: Tensor) -> Tensor { decoder(encoder(input)) }
}
