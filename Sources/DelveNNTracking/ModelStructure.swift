import Delve
import DelveNN

/// The shape-given facts of one tracked layer: its output width, its structural ceiling — the most
/// output directions its shape (and, where known, its input) allows — and its multiply-adds per sample.
public struct LayerStructure: Sendable, Equatable {
    /// The layer's path name, as the tracker names it.
    public var name: String
    /// The layer type (`Conv2d`).
    public var type: String
    /// The most output directions the layer can have, whatever it learns.
    public var ceiling: Int
    /// Why, in words: "1 input channel × 3×3 kernel".
    public var reason: String
    /// Multiply-adds per sample of one forward pass (0 when the model was not run on a sample shape).
    public var multiplyAdds: Int
}

/// Structural ceilings and compute cost of a DelveNN model's tracked layers.
public enum ModelStructure {
    /// The tracked layers of `model` (the types of `SaturationTracker/isTrackedByDefault(_:)`), in network order.
    ///
    /// Ceilings: a convolution's outputs span at most C_in·k_h·k_w directions (an affine map of C_in·k_h·k_w
    /// inputs); given `sampleShape` (one sample, without the batch axis) the model is run once on zeros in
    /// evaluation mode without gradients, and a Conv2d counts only the kernel taps that reach its input
    /// (on a 1×1 map a 3×3 kernel with padding 1 uses its centre alone); a linear layer's outputs span at
    /// most its input width; an LSTM's or GRU's at most its hidden size per direction. Multiply-adds count
    /// the tracked layers only (convolutions, linear and recurrent layers).
    public static func layers(of model: Module, sampleShape: [Int]? = nil) -> [LayerStructure] {
        let modules = model.namedModules()
        var shapes: [ObjectIdentifier: (input: [Int], output: [Int])] = [:]
        if let sampleShape, !sampleShape.isEmpty {
            var previous = [1] + sampleShape
            var hooks: [HookHandle] = []
            for (_, module) in modules where module.children.isEmpty {
                hooks.append(module.registerForwardHook { module, _, output in
                    shapes[ObjectIdentifier(module)] = (previous, output.shape)
                    previous = output.shape
                })
            }
            let wasTraining = model.training
            model.eval()
            _ = GradMode.withoutGrad { model(Tensor.zeros([1] + sampleShape)) }
            model.train(wasTraining)
            for hook in hooks { hook.remove() }
        }
        return modules.compactMap { path, module in
            guard SaturationTracker.isTrackedByDefault(module) else { return nil }
            let name = path.isEmpty ? String(describing: type(of: module)) : path
            return structure(of: module, name: name, shapes: shapes[ObjectIdentifier(module)])
        }
    }

    /// The ceiling and cost of one tracked module, given its input and output shapes when known.
    static func structure(of module: Module, name: String, shapes: (input: [Int], output: [Int])?) -> LayerStructure? {
        let type = String(describing: Swift.type(of: module))
        let outputCount = shapes.map { $0.output.dropFirst().reduce(1, *) } ?? 0
        switch module {
        case let linear as Linear:
            let rows = linear.outFeatures > 0 ? outputCount / linear.outFeatures : 0
            return LayerStructure(name: name, type: type, ceiling: linear.inFeatures,
                                  reason: "input width \(linear.inFeatures)",
                                  multiplyAdds: rows * linear.inFeatures * linear.outFeatures)
        case let conv as Conv2d:
            let (kh, kw) = conv.geometry.kernel
            var th = kh, tw = kw
            if let shapes, shapes.input.count == 4, shapes.output.count == 4, shapes.input[1] == conv.inChannels {
                th = usedTaps(input: shapes.input[2], output: shapes.output[2], kernel: kh, stride: conv.geometry.stride.0,
                              padding: conv.geometry.padding.0, dilation: conv.geometry.dilation.0)
                tw = usedTaps(input: shapes.input[3], output: shapes.output[3], kernel: kw, stride: conv.geometry.stride.1,
                              padding: conv.geometry.padding.1, dilation: conv.geometry.dilation.1)
            }
            var reason = "\(channels(conv.inChannels)) × \(kh)×\(kw) kernel"
            if (th, tw) != (kh, kw), let shapes {
                reason = "\(channels(conv.inChannels)) × \(th)×\(tw) of the \(kh)×\(kw) kernel on \(shapes.input[2])×\(shapes.input[3]) inputs"
            }
            return LayerStructure(name: name, type: type, ceiling: conv.inChannels * th * tw, reason: reason,
                                  multiplyAdds: outputCount * conv.inChannels / conv.groups * kh * kw)
        case let conv as Conv1d:
            let k = conv.weight.shape.last ?? 1
            return LayerStructure(name: name, type: type, ceiling: conv.inChannels * k,
                                  reason: "\(channels(conv.inChannels)) × kernel \(k)",
                                  multiplyAdds: outputCount * conv.inChannels / conv.groups * k)
        case let conv as ConvTranspose2d:
            let (kh, kw) = conv.geometry.kernel
            let (sh, sw) = conv.geometry.stride
            return LayerStructure(name: name, type: type, ceiling: conv.inChannels * kh * kw,
                                  reason: "\(channels(conv.inChannels)) × \(kh)×\(kw) kernel",
                                  multiplyAdds: outputCount * conv.inChannels / conv.groups * kh * kw / max(1, sh * sw))
        case let lstm as LSTM:
            return recurrent(name: name, type: type, input: lstm.inputSize, hidden: lstm.hiddenSize, layers: lstm.numLayers,
                             gates: 4, batchFirst: lstm.batchFirst, output: shapes?.output)
        case let gru as GRU:
            return recurrent(name: name, type: type, input: gru.inputSize, hidden: gru.hiddenSize, layers: gru.numLayers,
                             gates: 3, batchFirst: gru.batchFirst, output: shapes?.output)
        default:
            return nil
        }
    }

    /// A recurrent layer: at most `hidden` directions per direction of the output; gates · hidden · (input + hidden)
    /// multiply-adds per step and layer.
    static func recurrent(name: String, type: String, input: Int, hidden: Int, layers: Int, gates: Int,
                          batchFirst: Bool, output: [Int]?) -> LayerStructure {
        let width = output?.last ?? hidden
        let directions = max(1, width / max(1, hidden))
        var steps = 0
        if let output, output.count == 3 { steps = batchFirst ? output[1] : output[0] }
        var perStep = gates * hidden * (input + hidden)
        if layers > 1 { perStep += (layers - 1) * gates * hidden * (hidden * directions + hidden) }
        return LayerStructure(name: name, type: type, ceiling: hidden * directions,
                              reason: "hidden size \(hidden)" + (directions > 1 ? " × \(directions) directions" : ""),
                              multiplyAdds: steps * perStep * directions)
    }

    /// How many of a kernel's `kernel` taps along one axis ever read an input position (not padding).
    static func usedTaps(input: Int, output: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        (0..<kernel).filter { tap in
            (0..<output).contains { o in
                let position = o * stride - padding + tap * dilation
                return position >= 0 && position < input
            }
        }.count
    }

    static func channels(_ count: Int) -> String { count == 1 ? "1 input channel" : "\(count) input channels" }
}
