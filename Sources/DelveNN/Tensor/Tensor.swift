import Foundation

/// A dense, contiguous, row-major `Float` tensor that can record the operations applied to it
/// (reverse-mode automatic differentiation).
///
/// Autograd: every differentiable operation builds its output with
/// `Tensor(shape:storage:parents:backward:)`. When gradient mode is on and some parent requires a
/// gradient, the output keeps its parents and a closure that maps the output's gradient to the
/// parents' gradients. `backward()` walks this graph once in reverse topological order, accumulates
/// gradients of the leaves (e.g. parameters) into `grad`, and then releases the graph.
public final class Tensor {
    /// The size of every dimension, outermost first.
    public private(set) var shape: [Int]
    /// The number of elements (the product of `shape`).
    public private(set) var count: Int
    /// The memory holding the elements (possibly shared with views of this tensor).
    public var storage: TensorStorage
    /// Whether gradients flow into this tensor during `backward()`.
    public var requiresGrad: Bool
    /// The gradient accumulated by `backward()` (leaves only); `nil` until the first backward pass.
    public var grad: Tensor?

    /// The tensors this one was computed from (empty for leaves and after the graph was released).
    var parents: [Tensor] = []
    /// Maps this tensor's gradient to its parents' gradients.
    var backwardFunction: ((Tensor) -> [Tensor?])?

    /// `true` when this tensor was not produced by a recorded operation (a parameter or an input).
    public var isLeaf: Bool { backwardFunction == nil }

    /// Wraps an existing storage (no copy). `storage.count` must equal the product of `shape`.
    public init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        let count = Tensor.elementCount(shape)
        require(count == storage.count,
                "Tensor: shape \(shape) needs \(count) elements, the storage has \(storage.count)")
        self.shape = shape
        self.count = count
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// Creates a tensor from row-major `data`; `data.count` must equal the product of `shape`.
    public convenience init(shape: [Int], data: [Float], requiresGrad: Bool = false) {
        require(Tensor.elementCount(shape) == data.count,
                "Tensor(shape:data:): shape \(shape) needs \(Tensor.elementCount(shape)) values, got \(data.count)")
        self.init(shape: shape, storage: TensorStorage(data), requiresGrad: requiresGrad)
    }

    /// Creates a 0-dimensional (scalar) tensor.
    public convenience init(_ value: Float, requiresGrad: Bool = false) {
        self.init(shape: [], data: [value], requiresGrad: requiresGrad)
    }

    /// The result of an operation: records `parents` and `backward` on the tape when gradient mode is
    /// on and some parent requires a gradient; otherwise a plain tensor.
    ///
    /// `backward` receives the gradient of this output (same shape) and returns one gradient per
    /// parent, shaped like that parent, or `nil` for a parent that needs none.
    public convenience init(shape: [Int], storage: TensorStorage, parents: [Tensor],
                            backward: @escaping (Tensor) -> [Tensor?]) {
        self.init(shape: shape, storage: storage)
        if GradMode.isEnabled && parents.contains(where: { $0.requiresGrad }) {
            self.requiresGrad = true
            self.parents = parents
            self.backwardFunction = backward
        }
    }

    /// The product of the dimensions of `shape` (1 for a scalar).
    @inlinable public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            require(d >= 0, "Tensor: negative dimension in shape \(shape)")
            n *= d
        }
        return n
    }

    // MARK: Factories

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, value: 0, requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, value: 1, requiresGrad: requiresGrad)
    }

    /// A tensor with every element equal to `value`.
    public static func full(_ shape: [Int], value: Float, requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: elementCount(shape), repeating: value), requiresGrad: requiresGrad)
    }

    /// A tensor with uninitialized elements (internal: callers write every element).
    static func empty(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(uninitializedCount: elementCount(shape)))
    }

    /// Independent samples of U(`low`, `high`).
    public static func uniform(_ shape: [Int], low: Float, high: Float,
                               using rng: inout some RandomNumberGenerator) -> Tensor {
        let t = empty(shape)
        let p = t.storage.pointer
        let span = high - low
        for i in 0..<t.count {
            let u = Float(rng.next() >> 40) * (1.0 / 16_777_216.0)
            p[i] = low + span * u
        }
        return t
    }

    /// Independent samples of N(`mean`, `std`²) (Box–Muller).
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                              using rng: inout some RandomNumberGenerator) -> Tensor {
        let t = empty(shape)
        let p = t.storage.pointer
        var i = 0
        while i < t.count {
            let u1 = (Double(rng.next() >> 11) + 1) * (1.0 / 9_007_199_254_740_993.0)   // (0, 1]
            let u2 = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
            let r = (-2 * Foundation.log(u1)).squareRoot()
            let angle = 2 * Double.pi * u2
            p[i] = mean + std * Float(r * Foundation.cos(angle))
            if i + 1 < t.count { p[i + 1] = mean + std * Float(r * Foundation.sin(angle)) }
            i += 2
        }
        return t
    }

    // MARK: Access

    /// Calls `body` with the elements (row-major).
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Calls `body` with the elements for writing (row-major). Writing does not record anything.
    @inlinable public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// A copy of the elements (row-major).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single element of a one-element tensor.
    public var item: Float {
        require(count == 1, "Tensor.item: the tensor has shape \(shape), not one element")
        return storage.pointer[0]
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// A tensor sharing this one's values but outside the graph (no parents, no gradient).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// A deep copy of the values, outside the graph.
    public func copy() -> Tensor { Tensor(shape: shape, storage: storage.copy()) }

    /// Overwrites this tensor's values with `other`'s (same element count); not recorded.
    public func assign(_ other: Tensor) {
        require(other.count == count, "Tensor.assign: \(other.shape) into \(shape)")
        storage.pointer.update(from: other.storage.pointer, count: count)
    }

    // MARK: Backward

    /// Runs reverse-mode differentiation from this scalar (its gradient is seeded with 1).
    ///
    /// Gradients of leaves that require them are added to their `grad`; the graph is released afterwards.
    public func backward() {
        require(count == 1, "Tensor.backward(): the tensor has shape \(shape); pass a gradient for non-scalars")
        backward(gradient: Tensor.ones(shape))
    }

    /// Runs reverse-mode differentiation seeding this tensor's gradient with `gradient` (same shape).
    public func backward(gradient: Tensor) {
        require(gradient.count == count, "Tensor.backward(gradient:): gradient \(gradient.shape) for tensor \(shape)")
        guard requiresGrad else { return }
        GradMode.withoutGrad { runBackward(seed: gradient) }
    }

    private func runBackward(seed: Tensor) {
        if backwardFunction == nil {
            // A leaf: its gradient is the seed itself.
            if let existing = grad { addInPlace(existing, seed) } else { grad = Tensor(shape: shape, storage: seed.storage.copy()) }
            return
        }
        // Iterative depth-first post-order over the recorded (non-leaf) nodes.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.last {
            if next < node.parents.count {
                stack[stack.count - 1].1 = next + 1
                let parent = node.parents[next]
                if parent.requiresGrad, parent.backwardFunction != nil,
                   visited.insert(ObjectIdentifier(parent)).inserted {
                    stack.append((parent, 0))
                }
            } else {
                order.append(node)
                stack.removeLast()
            }
        }
        // Gradients of interior nodes; `owned` marks buffers created here that may be updated in place.
        var grads: [ObjectIdentifier: (tensor: Tensor, owned: Bool)] = [ObjectIdentifier(self): (seed, false)]
        var touchedLeaves: [Tensor] = []
        var leafOwned = Set<ObjectIdentifier>()
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard let function = node.backwardFunction, let g = grads.removeValue(forKey: id)?.tensor else {
                node.parents = []; node.backwardFunction = nil
                continue
            }
            let parentGrads = function(g)
            for (parent, pg) in zip(node.parents, parentGrads) {
                guard parent.requiresGrad, var pg else { continue }
                if pg.shape != parent.shape { pg = pg.reshaped(parent.shape) }
                let pid = ObjectIdentifier(parent)
                if parent.backwardFunction != nil {
                    if let existing = grads[pid] {
                        if existing.owned { addInPlace(existing.tensor, pg) }
                        else { grads[pid] = (Tensor.sum(existing.tensor, pg), true) }
                    } else {
                        grads[pid] = (pg, false)
                    }
                } else if let existing = parent.grad {
                    if leafOwned.contains(pid) || !touchedLeaves.contains(where: { $0 === parent }) {
                        addInPlace(existing, pg)
                    } else {
                        parent.grad = Tensor.sum(existing, pg)
                        leafOwned.insert(pid)
                    }
                } else {
                    parent.grad = pg
                    touchedLeaves.append(parent)
                }
            }
            node.parents = []
            node.backwardFunction = nil
        }
        grads.removeAll()
        // A leaf gradient that still aliases another tensor's memory gets its own copy, so later
        // accumulation in place cannot change anything else.
        for leaf in touchedLeaves where !leafOwned.contains(ObjectIdentifier(leaf)) {
            guard var g = leaf.grad else { continue }
            leaf.grad = nil
            let uniqueTensor = isKnownUniquelyReferenced(&g)
            let uniqueStorage = isKnownUniquelyReferenced(&g.storage)
            leaf.grad = (uniqueTensor && uniqueStorage && g.shape == leaf.shape) ? g : Tensor(shape: leaf.shape, storage: g.storage.copy())
        }
    }

    /// `a + b` for two tensors with the same element count, into a new tensor shaped like `a`.
    static func sum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out = empty(a.shape)
        let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
        for i in 0..<a.count { po[i] = pa[i] + pb[i] }
        return out
    }

    /// Adds `source` into `target` element by element (same element count).
    func addInPlace(_ target: Tensor, _ source: Tensor) {
        require(target.count == source.count, "gradient accumulation: \(source.shape) into \(target.shape)")
        let pt = target.storage.pointer, ps = source.storage.pointer
        for i in 0..<target.count { pt[i] += ps[i] }
    }
}

extension Tensor: CustomStringConvertible {
    /// A short description: the shape and the first few values.
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

