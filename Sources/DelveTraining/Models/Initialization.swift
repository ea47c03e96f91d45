import DelveData
import DelveNN

/// Weight initializations the zoo applies on top of DelveNN's PyTorch-default layer initialization.
enum Initialization {
    /// He (Kaiming) normal initialization in fan-out mode for a ReLU network, as torchvision's VGG:
    /// weight ~ N(0, 2 / fan_out) with fan_out = outChannels·kh·kw, bias = 0. It keeps the activation
    /// scale through a deep plain ReLU stack, where the default U(±1/√fan_in) shrinks it layer by layer.
    static func heNormal(_ conv: Conv2d, rng: inout some RandomNumberGenerator) {
        let shape = conv.weight.shape
        let fanOut = shape[0] * shape[2] * shape[3]
        let values = Tensor.normal(shape, mean: 0, std: (2 / Float(fanOut)).squareRoot(), using: &rng).scalars
        conv.weight.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = values[i] }
        }
        conv.bias?.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = 0 }
        }
    }
}
