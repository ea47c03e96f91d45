/// The memory behind a tensor: one contiguous, 64-byte aligned buffer of `Float` values that this object owns.
///
/// Several tensors may share one storage (a reshaped view shares its source's storage). The buffer is
/// returned to the `BufferPool` (large buffers) or freed when the last reference goes away.
public final class TensorStorage: @unchecked Sendable {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int

    /// Allocates `count` elements, uninitialized (callers overwrite every element before reading).
    public init(uninitializedCount count: Int) {
        require(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let raw = BufferPool.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Allocates `count` elements, all set to `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    /// Copies `values` into a new storage.
    public convenience init(_ values: [Float]) {
        self.init(uninitializedCount: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: values.count) }
        }
    }

    deinit { BufferPool.release(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride) }

    /// The elements as a mutable buffer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// A copy of this storage.
    public func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        result.pointer.update(from: pointer, count: count)
        return result
    }
}
