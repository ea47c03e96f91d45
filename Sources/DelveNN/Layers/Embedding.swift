/// A lookup table of learned vectors (PyTorch `nn.Embedding`): row `i` of `weight` is the vector of index `i`.
///
/// Indices are given as a `Tensor` of any shape whose values are whole numbers in `0..<count` stored as
/// `Float` (exact up to 2²⁴), or as an `[Int]` array with ``lookup(_:shape:)``. The output has the index
/// shape with `dimensions` appended. The lookup is differentiable with respect to `weight`: the gradient
/// of row `i` is the sum of the output gradients of every position holding index `i`.
/// `weight` is `[count, dimensions]`, initialized from N(0, 1) like PyTorch.
public final class Embedding: Module {
    /// The table, `[count, dimensions]`.
    public let weight: Tensor
    /// The number of vectors (valid indices are `0..<count`).
    public let count: Int
    /// The length of each vector.
    public let dimensions: Int

    /// A table initialized from `rng` with N(0, 1) entries.
    public init(count: Int, dimensions: Int, rng: inout some RandomNumberGenerator) {
        require(count > 0 && dimensions > 0, "Embedding: count and dimensions must be positive, got \(count), \(dimensions)")
        self.count = count
        self.dimensions = dimensions
        weight = Tensor.normal([count, dimensions], mean: 0, std: 1, using: &rng)
        weight.requiresGrad = true
        super.init()
    }

    /// A table initialized from the thread's default generator (`RandomState`).
    public convenience init(count: Int, dimensions: Int) {
        var rng = RandomState.withGenerator { SeededGenerator(seed: $0.next()) }
        self.init(count: count, dimensions: dimensions, rng: &rng)
    }

    /// No sub-modules.
    public override var children: [(name: String, module: Module)] { [] }

    /// `weight`.
    public override var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    /// Looks up the vectors of `input`, a tensor of whole-number indices stored as `Float`; output `input.shape + [dimensions]`.
    public override func forward(_ input: Tensor) -> Tensor {
        let indices = input.withUnsafeBufferPointer { buffer in
            buffer.enumerated().map { position, value -> Int in
                guard let index = Int(exactly: value), index >= 0, index < count else {
                    preconditionFailure("Embedding: element \(position) of the index tensor is \(value); expected a whole number in 0..<\(count)")
                }
                return index
            }
        }
        return lookup(indices, shape: input.shape)
    }

    /// Looks up the vectors of `indices`, laid out with `shape` (default: one dimension); output `shape + [dimensions]`.
    public func lookup(_ indices: [Int], shape: [Int]? = nil) -> Tensor {
        let shape = shape ?? [indices.count]
        require(Tensor.elementCount(shape) == indices.count,
                "Embedding: \(indices.count) indices do not fill the shape \(shape)")
        let (table, d) = (weight, dimensions)
        for (position, index) in indices.enumerated() {
            require(index >= 0 && index < count, "Embedding: index \(index) at position \(position) is outside 0..<\(count)")
        }
        let out = TensorStorage(uninitializedCount: indices.count * d)
        let source = table.storage.pointer
        for (row, index) in indices.enumerated() {
            (out.pointer + row * d).update(from: source + index * d, count: d)
        }
        return Tensor(shape: shape + [d], storage: out, parents: [table]) { g in
            let grad = Tensor.zeros(table.shape)
            let pg = g.storage.pointer, pw = grad.storage.pointer
            for (row, index) in indices.enumerated() {
                let destination = pw + index * d, from = pg + row * d
                for j in 0..<d { destination[j] += from[j] }
            }
            return [grad]
        }
    }
}
