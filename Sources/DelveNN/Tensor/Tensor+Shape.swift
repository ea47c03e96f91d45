/// Shape operations: reshape (a view), flatten, transpose, permute, concatenate, narrow.
extension Tensor {
    /// The same values with a new shape (a view sharing storage). One dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().reduce(1) { $1.offset == inferred ? $0 : $0 * $1.element }
            require(known > 0 && count % known == 0, "Tensor.reshaped: cannot infer -1 in \(newShape) for \(count) elements")
            resolved[inferred] = count / known
        }
        require(Tensor.elementCount(resolved) == count,
                "Tensor.reshaped: \(shape) (\(count) elements) cannot become \(newShape)")
        let sourceShape = shape
        return Tensor(shape: resolved, storage: storage, parents: [self]) { g in
            [Tensor(shape: sourceShape, storage: g.storage)]
        }
    }

    /// Flattens dimensions `startDim...` into one (PyTorch `flatten(start_dim)`).
    public func flattened(startDim: Int = 0) -> Tensor {
        require(startDim >= 0 && startDim <= max(rank - 1, 0), "Tensor.flattened: startDim \(startDim) for rank \(rank)")
        guard rank > 0 else { return reshaped([1]) }
        let tail = shape[startDim...].reduce(1, *)
        return reshaped(Array(shape[..<startDim]) + [tail])
    }

    /// The transpose of a matrix (a copy).
    public func transposed() -> Tensor {
        require(rank == 2, "Tensor.transposed: expected a matrix, got shape \(shape)")
        return permuted([1, 0])
    }

    /// Reorders the dimensions: output dimension `i` is input dimension `order[i]` (a copy).
    public func permuted(_ order: [Int]) -> Tensor {
        require(order.count == rank && Set(order) == Set(0..<rank), "Tensor.permuted: \(order) is not a permutation of 0..<\(rank)")
        let outShape = order.map { shape[$0] }
        let out = Tensor.empty(outShape)
        Tensor.permuteKernel(source: storage.pointer, sourceShape: shape, order: order, destination: out.storage.pointer)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return Tensor(shape: outShape, storage: out.storage, parents: [self]) { g in
            [g.permuted(inverse)]
        }
    }

    /// Writes the permutation of a contiguous tensor into `destination` (contiguous, permuted shape).
    static func permuteKernel(source: UnsafePointer<Float>, sourceShape: [Int], order: [Int], destination: UnsafeMutablePointer<Float>) {
        let rank = sourceShape.count
        var sourceStrides = [Int](repeating: 1, count: rank)
        if rank > 1 { for d in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[d] = sourceStrides[d + 1] * sourceShape[d + 1] } }
        let outShape = order.map { sourceShape[$0] }
        let strides = order.map { sourceStrides[$0] }      // source stride of each output dimension
        let total = Tensor.elementCount(outShape)
        guard total > 0 else { return }
        guard rank > 0 else { destination[0] = source[0]; return }
        let inner = outShape[rank - 1], innerStride = strides[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var offset = 0, o = 0
        while o < total {
            if innerStride == 1 {
                destination.advanced(by: o).update(from: source.advanced(by: offset), count: inner)
            } else {
                var s = offset
                for j in 0..<inner { destination[o + j] = source[s]; s += innerStride }
            }
            o += inner
            var d = rank - 2
            while d >= 0 {
                index[d] += 1; offset += strides[d]
                if index[d] < outShape[d] { break }
                offset -= strides[d] * outShape[d]; index[d] = 0; d -= 1
            }
        }
    }

    /// Joins tensors along `axis`; every other dimension must agree.
    public static func concatenated(_ tensors: [Tensor], axis: Int) -> Tensor {
        require(!tensors.isEmpty, "Tensor.concatenated: no tensors")
        let first = tensors[0]
        require(axis >= 0 && axis < first.rank, "Tensor.concatenated: axis \(axis) for rank \(first.rank)")
        for t in tensors {
            require(t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == axis || t.shape[$0] == first.shape[$0] },
                    "Tensor.concatenated: shapes \(first.shape) and \(t.shape) differ outside axis \(axis)")
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let sizes = tensors.map { $0.shape[axis] }
        let total = sizes.reduce(0, +)
        var outShape = first.shape; outShape[axis] = total
        let out = Tensor.empty(outShape)
        let po = out.storage.pointer
        var offset = 0
        for (t, size) in zip(tensors, sizes) {
            let block = size * inner, p = t.storage.pointer
            for o in 0..<outer { po.advanced(by: o * total * inner + offset * inner).update(from: p.advanced(by: o * block), count: block) }
            offset += size
        }
        return Tensor(shape: outShape, storage: out.storage, parents: tensors) { g in
            var start = 0
            return sizes.map { size in
                defer { start += size }
                return g.narrowed(axis: axis, start: start, length: size)
            }
        }
    }

    /// Stacks equally shaped tensors along a new dimension `axis`.
    public static func stacked(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        require(!tensors.isEmpty, "Tensor.stacked: no tensors")
        let shape = tensors[0].shape
        require(axis >= 0 && axis <= shape.count, "Tensor.stacked: axis \(axis) for rank \(shape.count)")
        var expanded = shape; expanded.insert(1, at: axis)
        return concatenated(tensors.map { $0.reshaped(expanded) }, axis: axis)
    }

    /// The slice `start..<start+length` along `axis` (a copy).
    public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
        require(axis >= 0 && axis < rank, "Tensor.narrowed: axis \(axis) for rank \(rank)")
        require(start >= 0 && length >= 0 && start + length <= shape[axis],
                "Tensor.narrowed: range \(start)..<\(start + length) outside 0..<\(shape[axis]) on axis \(axis)")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let size = shape[axis]
        var outShape = shape; outShape[axis] = length
        let out = Tensor.empty(outShape)
        let p = storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            po.advanced(by: o * length * inner).update(from: p.advanced(by: (o * size + start) * inner), count: length * inner)
        }
        let sourceShape = shape
        return Tensor(shape: outShape, storage: out.storage, parents: [self]) { g in
            let full = Tensor.zeros(sourceShape)
            let pf = full.storage.pointer, pg = g.storage.pointer
            for o in 0..<outer {
                pf.advanced(by: (o * size + start) * inner).update(from: pg.advanced(by: o * length * inner), count: length * inner)
            }
            return [full]
        }
    }

    /// Index `index` along `axis`, removing that dimension.
    public func selected(axis: Int, index: Int) -> Tensor {
        var s = shape
        let n = narrowed(axis: axis, start: index, length: 1)
        s.remove(at: axis)
        return n.reshaped(s)
    }
}
