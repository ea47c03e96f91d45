import DelveNN

/// How a composite module combines its children, for the receptive-field walk (`ReceptiveField`).
public indirect enum ReceptiveFieldGraph {
    /// One module: a leaf layer, a `Sequential`, or another composite.
    case module(Module)
    /// Parts applied one after the other (an empty chain is the identity).
    case chain([ReceptiveFieldGraph])
    /// Paths applied to the same input and merged (residual addition, concatenation): the merged
    /// receptive field is the largest of the paths', with the jump of the path that gives it.
    case merge([ReceptiveFieldGraph])
}

/// A module whose `forward` is not a plain chain of its children states how it combines them, so that
/// `ReceptiveField` can walk it (a residual block: `.merge([.chain([conv1, bn1, conv2, bn2]), shortcut])`).
/// `Sequential` needs no conformance; any other module with children must conform.
public protocol ReceptiveFieldComposite: AnyObject {
    /// The module's children as the forward pass combines them.
    var receptiveFieldGraph: ReceptiveFieldGraph { get }
}

/// The receptive field of one layer's output, per axis (height, width), in input pixels.
public struct ReceptiveFieldLayer: Sendable, Equatable {
    /// The layer's path name, as the tracker names it (`features.3`).
    public var name: String
    /// The layer type (`Conv2d`).
    public var type: String
    /// r: how many input pixels (padding included) one output position depends on, height and width.
    public var receptiveField: (Double, Double)
    /// j: how many input pixels apart two neighbouring output positions are, height and width.
    public var jump: (Double, Double)
    /// The receptive field of the layer's input (r of the layer before it).
    public var inputReceptiveField: (Double, Double)
    /// The output feature map, height and width.
    public var outputSize: (Int, Int)
    /// A convolution (`Conv2d`, `ConvTranspose2d`): the layers that can be unproductive.
    public var isConvolution: Bool
    /// A layer that sees its whole input map (`Linear`, `AdaptiveAvgPool2d`): never a border layer.
    public var isGlobal: Bool

    public static func == (a: ReceptiveFieldLayer, b: ReceptiveFieldLayer) -> Bool {
        a.name == b.name && a.type == b.type && a.receptiveField == b.receptiveField && a.jump == b.jump
            && a.inputReceptiveField == b.inputReceptiveField && a.outputSize == b.outputSize
            && a.isConvolution == b.isConvolution && a.isGlobal == b.isGlobal
    }
}

/// Why a model's receptive fields cannot be computed.
public enum ReceptiveFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A layer type the walk does not know (`LSTM`, `Embedding`, `Conv1d`).
    case unsupportedLayer(name: String, type: String)
    /// A module with children that is neither `Sequential` nor `ReceptiveFieldComposite`.
    case unknownComposition(name: String, type: String)
    /// The input is too small: the layer's output map would be empty.
    case inputTooSmall(input: [Int], layer: String, type: String, inputSize: [Int])
    /// The input size is not two positive numbers.
    case invalidInput([Int])

    /// A one-line message naming the layer.
    public var description: String {
        switch self {
        case let .unsupportedLayer(name, type):
            return "layer \(name) (\(type)) has no 2-D receptive field; the walk knows Conv2d, ConvTranspose2d, "
                + "MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Linear and element-wise layers"
        case let .unknownComposition(name, type):
            return "module \(name) (\(type)) has children but does not say how it combines them (conform to ReceptiveFieldComposite)"
        case let .inputTooSmall(input, layer, type, inputSize):
            return "input \(input.map(String.init).joined(separator: "x")) is too small for the model: layer \(layer) (\(type)) "
                + "gets a \(inputSize.map(String.init).joined(separator: "×")) map and would output nothing"
        case let .invalidInput(input):
            return "input size \(input) must be two positive numbers (height, width)"
        }
    }
}

/// Receptive field sizes, jumps and the border layer of a DelveNN model, walked over its module tree.
///
/// Per axis, with r₀ = 1 and j₀ = 1 (Araujo et al., *Computing Receptive Fields of CNNs*, Distill 2019;
/// Richter, Shenk et al., *Should you go deeper? Optimizing CNN architectures without training*,
/// arXiv 2106.12307, and their `receptive_field_analysis_toolbox`, `compute_receptive_field_sizes`):
/// - Conv2d, MaxPool2d, AvgPool2d (kernel k, stride s, dilation d): r = r₋ + (k − 1)·d·j₋, j = j₋·s;
///   a 1×1 convolution adds nothing.
/// - ConvTranspose2d: j = j₋ / s, and an output reads input positions at most ⌊(k − 1)/g⌋·d/gcd(d, s)
///   apart, g = s/gcd(d, s), so r = r₋ + ⌊(k − 1)/g⌋·(d/gcd(d, s))·j₋ (for d = 1: ⌊(k − 1)/s⌋ steps; the
///   toolbox has no transposed convolution; (k − 1)·d·j₋/s would bound it from above).
/// - AdaptiveAvgPool2d: a pooling whose kernel is its largest window ⌈n/o⌉ (+1 when o does not divide n)
///   and stride n/o on an n-wide input; Linear after a map: a convolution whose kernel is the whole map
///   (r = r₋ + (n − 1)·j₋, j = j₋·n), so it sees the whole input; on a vector it changes nothing.
/// - Element-wise layers (activations, BatchNorm, Dropout, Flatten) leave r and j unchanged.
/// - Merging paths (residual addition): the largest r per axis, with the jump of the path giving it (the
///   toolbox keeps every path and decides the border layer on the *minimum*, `receptive_field_min`; the
///   maximum is what the issue asks for and is never smaller).
///
/// A layer *covers the input* when its input receptive field is at least the input size on both axes
/// (the toolbox's `is_border`: every predecessor's receptive field ≥ the input resolution). The border
/// layer is the first covering layer in walk order, leaving out `Linear` and `AdaptiveAvgPool2d` (the
/// toolbox's `filter_dense`). The covering convolutions — in a chain the border layer and every later
/// one; beside a merge, a shortcut whose own input does not cover the input is not — cannot add
/// spatial context: they are predicted unproductive.
public struct ReceptiveField: Sendable, Equatable {
    /// The input size, height and width.
    public var input: (Int, Int)
    /// The layers that change r or j, or see the whole input (convolutions, pooling, linear), in walk
    /// order: a chain in order, a merge path after path.
    public var layers: [ReceptiveFieldLayer]

    public static func == (a: ReceptiveField, b: ReceptiveField) -> Bool { a.input == b.input && a.layers == b.layers }

    /// Whether `layer`'s input receptive field is at least the input size on both axes.
    public func coversInput(_ layer: ReceptiveFieldLayer) -> Bool {
        layer.inputReceptiveField.0 >= Double(input.0) && layer.inputReceptiveField.1 >= Double(input.1)
    }

    /// The border layer: the first non-global layer whose input receptive field covers the input.
    public var borderLayer: ReceptiveFieldLayer? {
        layers.first { !$0.isGlobal && coversInput($0) }
    }

    /// The convolutions whose input covers the input (walk order), predicted unproductive.
    public var unproductiveLayers: [String] {
        layers.filter { $0.isConvolution && coversInput($0) }.map(\.name)
    }

    /// Walks `model` for inputs of `height`×`width`.
    public init(of model: Module, height: Int, width: Int) throws(ReceptiveFieldError) {
        guard height > 0, width > 0 else { throw .invalidInput([height, width]) }
        input = (height, width)
        var paths: [ObjectIdentifier: String] = [:]
        for (path, module) in model.namedModules() where paths[ObjectIdentifier(module)] == nil {
            paths[ObjectIdentifier(module)] = path.isEmpty ? String(describing: type(of: module)) : path
        }
        var walker = Walker(paths: paths, input: [height, width])
        _ = try walker.walk(.module(model), State(r: (1, 1), j: (1, 1), n: (height, width)))
        layers = walker.layers
    }

    /// The receptive field and jump after a part, and the map size there.
    struct State {
        var r: (Double, Double)
        var j: (Double, Double)
        var n: (Int, Int)
    }

    /// One axis of a windowed layer: the new (r, j, n).
    static func window(r: Double, j: Double, n: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> (Double, Double, Int) {
        let span = n + 2 * padding - dilation * (kernel - 1) - 1
        return (r + Double((kernel - 1) * dilation) * j, j * Double(stride), span < 0 ? 0 : span / stride + 1)
    }

    /// One axis of a transposed convolution: the new (r, j, n).
    static func transposed(r: Double, j: Double, n: Int, kernel: Int, stride: Int, padding: Int, dilation: Int,
                           outputPadding: Int) -> (Double, Double, Int) {
        let g = gcd(dilation, stride), period = stride / g
        let steps = (kernel - 1) / period * (dilation / g)
        let size: Int = (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1
        return (r + Double(steps) * j, j / Double(stride), size)
    }

    /// One axis of adaptive average pooling from n to o: the largest window (PyTorch's bounds
    /// ⌊i·n/o⌋ ..< ⌈(i+1)·n/o⌉) as kernel, n/o as stride.
    static func adaptive(r: Double, j: Double, n: Int, o: Int) -> (Double, Double, Int) {
        var kernel = 1
        for i in 0..<o {
            let end: Int = ((i + 1) * n + o - 1) / o
            let start: Int = i * n / o
            kernel = max(kernel, end - start)
        }
        return (r + Double(kernel - 1) * j, j * Double(n) / Double(o), o)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    struct Walker {
        let paths: [ObjectIdentifier: String]
        let input: [Int]
        var layers: [ReceptiveFieldLayer] = []

        mutating func walk(_ graph: ReceptiveFieldGraph, _ state: State) throws(ReceptiveFieldError) -> State {
            switch graph {
            case .chain(let parts):
                var state = state
                for part in parts { state = try walk(part, state) }
                return state
            case .merge(let branches):
                var best: State?
                var r = state.r, j = state.j
                for branch in branches {
                    let out = try walk(branch, state)
                    if best == nil { best = out; r = out.r; j = out.j; continue }
                    if out.r.0 > r.0 { r.0 = out.r.0; j.0 = out.j.0 }
                    if out.r.1 > r.1 { r.1 = out.r.1; j.1 = out.j.1 }
                }
                guard let best else { return state }
                return State(r: r, j: j, n: best.n)
            case .module(let module):
                return try visit(module, state)
            }
        }

        mutating func visit(_ module: Module, _ state: State) throws(ReceptiveFieldError) -> State {
            let name = paths[ObjectIdentifier(module)] ?? String(describing: Swift.type(of: module))
            let type = String(describing: Swift.type(of: module))
            if let composite = module as? ReceptiveFieldComposite { return try walk(composite.receptiveFieldGraph, state) }
            if let sequential = module as? Sequential {
                return try walk(.chain(sequential.children.map { ReceptiveFieldGraph.module($0.module) }), state)
            }
            var convolution = false, global = false
            var h = (0.0, 0.0, 0), w = (0.0, 0.0, 0)
            switch module {
            case let conv as Conv2d:
                (h, w) = Self.window(state, conv.geometry)
                convolution = true
            case let pool as MaxPool2d:
                (h, w) = Self.window(state, pool.geometry)
            case let pool as AvgPool2d:
                (h, w) = Self.window(state, pool.geometry)
            case let conv as ConvTranspose2d:
                let g = conv.geometry
                h = ReceptiveField.transposed(r: state.r.0, j: state.j.0, n: state.n.0, kernel: g.kernel.0, stride: g.stride.0,
                                              padding: g.padding.0, dilation: g.dilation.0, outputPadding: conv.outputPadding.0)
                w = ReceptiveField.transposed(r: state.r.1, j: state.j.1, n: state.n.1, kernel: g.kernel.1, stride: g.stride.1,
                                              padding: g.padding.1, dilation: g.dilation.1, outputPadding: conv.outputPadding.1)
                convolution = true
            case let pool as AdaptiveAvgPool2d:
                h = ReceptiveField.adaptive(r: state.r.0, j: state.j.0, n: state.n.0, o: pool.outputSize.0)
                w = ReceptiveField.adaptive(r: state.r.1, j: state.j.1, n: state.n.1, o: pool.outputSize.1)
                global = true
            case is Linear:
                h = ReceptiveField.adaptive(r: state.r.0, j: state.j.0, n: state.n.0, o: 1)
                w = ReceptiveField.adaptive(r: state.r.1, j: state.j.1, n: state.n.1, o: 1)
                global = true
            case is ReLU, is LeakyReLU, is GELU, is Tanh, is Sigmoid, is Softmax, is BatchNormBase, is Dropout, is Flatten:
                return state
            default:
                if !module.children.isEmpty { throw .unknownComposition(name: name, type: type) }
                throw .unsupportedLayer(name: name, type: type)
            }
            guard h.2 > 0, w.2 > 0 else {
                throw .inputTooSmall(input: input, layer: name, type: type, inputSize: [state.n.0, state.n.1])
            }
            layers.append(ReceptiveFieldLayer(name: name, type: type, receptiveField: (h.0, w.0), jump: (h.1, w.1),
                                              inputReceptiveField: state.r, outputSize: (h.2, w.2),
                                              isConvolution: convolution, isGlobal: global))
            return State(r: (h.0, w.0), j: (h.1, w.1), n: (h.2, w.2))
        }

        static func window(_ state: State, _ g: WindowGeometry) -> ((Double, Double, Int), (Double, Double, Int)) {
            (ReceptiveField.window(r: state.r.0, j: state.j.0, n: state.n.0, kernel: g.kernel.0, stride: g.stride.0,
                                   padding: g.padding.0, dilation: g.dilation.0),
             ReceptiveField.window(r: state.r.1, j: state.j.1, n: state.n.1, kernel: g.kernel.1, stride: g.stride.1,
                                   padding: g.padding.1, dilation: g.dilation.1))
        }
    }
}
