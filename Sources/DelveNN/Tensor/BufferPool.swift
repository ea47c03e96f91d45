import Foundation

/// A cache of freed large buffers, reused by later tensors of the same size.
///
/// Training repeats the same tensor sizes every step; without reuse each large buffer would be
/// mapped fresh from the kernel (page faults and zero-filling on every step). Buffers of at least
/// `minimumBytes` are kept after their storage dies, up to `capacityBytes` in total; the oldest are
/// released first when the cap is reached. Thread-safe.
public enum BufferPool {
    /// Buffers smaller than this go straight to the system allocator.
    public static let minimumBytes = 64 * 1024
    nonisolated(unsafe) static var capacity = 1 << 30
    nonisolated(unsafe) static var cachedBytes = 0
    nonisolated(unsafe) static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) static var order: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
    static let lock = NSLock()

    /// The most memory kept for reuse, in bytes (default 1 GiB; 0 disables the pool).
    public static var capacityBytes: Int {
        get { lock.withLock { capacity } }
        set {
            lock.withLock { capacity = max(0, newValue) }
            trim()
        }
    }

    /// The bytes currently held for reuse.
    public static var heldBytes: Int { lock.withLock { cachedBytes } }

    /// A 64-byte aligned buffer of `bytes` bytes (uninitialized).
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        if bytes >= minimumBytes {
            let reused: UnsafeMutableRawPointer? = lock.withLock {
                guard var list = free[bytes], let p = list.popLast() else { return nil }
                free[bytes] = list.isEmpty ? nil : list
                cachedBytes -= bytes
                if let i = order.firstIndex(where: { $0.pointer == p }) { order.remove(at: i) }
                return p
            }
            if let reused { return reused }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
    }

    /// Returns a buffer obtained from `allocate(bytes:)`.
    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= minimumBytes {
            let kept: Bool = lock.withLock {
                guard bytes <= capacity else { return false }
                free[bytes, default: []].append(pointer)
                order.append((bytes, pointer))
                cachedBytes += bytes
                return true
            }
            if kept { trim(); return }
        }
        pointer.deallocate()
    }

    /// Frees the oldest cached buffers until the cache fits its capacity.
    static func trim() {
        var victims: [UnsafeMutableRawPointer] = []
        lock.withLock {
            while cachedBytes > capacity, !order.isEmpty {
                let (bytes, p) = order.removeFirst()
                if var list = free[bytes], let i = list.firstIndex(of: p) {
                    list.remove(at: i)
                    free[bytes] = list.isEmpty ? nil : list
                }
                cachedBytes -= bytes
                victims.append(p)
            }
        }
        for p in victims { p.deallocate() }
    }

    /// Frees every cached buffer.
    public static func drain() {
        let all: [UnsafeMutableRawPointer] = lock.withLock {
            let ps = order.map(\.pointer)
            free.removeAll(); order.removeAll(); cachedBytes = 0
            return ps
        }
        for p in all { p.deallocate() }
    }
}
