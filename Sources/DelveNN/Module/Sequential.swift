/// Applies its children in order; children are named "0", "1", … unless names are given.
public final class Sequential: Module {
    /// The layers with their names, in order.
    public private(set) var layers: [(name: String, module: Module)]

    /// A sequence of layers named by position.
    public init(_ layers: [Module]) {
        self.layers = layers.enumerated().map { (String($0.offset), $0.element) }
        super.init()
    }

    /// A sequence of layers named by position.
    public convenience init(_ layers: Module...) { self.init(layers) }

    /// A sequence of named layers (like PyTorch `Sequential(OrderedDict(...))`).
    public init(named layers: [(String, Module)]) {
        self.layers = layers.map { ($0.0, $0.1) }
        super.init()
    }

    /// Appends a layer named by its position.
    public func append(_ module: Module) { layers.append((String(layers.count), module)) }

    /// The layer at `index`.
    public subscript(index: Int) -> Module { layers[index].module }

    /// The number of layers.
    public var count: Int { layers.count }

    public override var children: [(name: String, module: Module)] { layers }
    public override var localParameters: [(name: String, tensor: Tensor)] { [] }

    /// Feeds the input through every layer (calling each, so their hooks run).
    public override func forward(_ input: Tensor) -> Tensor {
        var x = input
        for (_, layer) in layers { x = layer(x) }
        return x
    }
}
