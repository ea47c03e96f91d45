import Foundation

/// One object per thread, made on first use and kept in the thread's dictionary under `key`
/// (``ThreadScope`` and ``RandomState`` store their per-thread state in one).
final class ThreadLocal<Value: AnyObject>: Sendable {
    private let key: String
    private let make: @Sendable () -> Value

    /// A per-thread slot under `key`, filled by `make` on a thread's first access.
    init(key: String, make: @escaping @Sendable () -> Value) {
        self.key = key
        self.make = make
    }

    /// The current thread's object.
    var value: Value {
        let dictionary = Thread.current.threadDictionary
        if let value = dictionary[key] as? Value { return value }
        let value = make()
        dictionary[key] = value
        return value
    }
}

/// A switch that is on unless the current thread is inside one of its ``off(_:)`` scopes (which nest);
/// each thread has its own. ``GradMode`` and `Module.withoutHooks` are built on it.
final class ThreadScope: Sendable {
    /// The per-thread count of open `off` scopes.
    private final class Depth { var value = 0 }
    private let depth: ThreadLocal<Depth>

    /// A switch whose per-thread state is stored under `key`.
    init(key: String) { depth = ThreadLocal(key: key) { Depth() } }

    /// `true` unless the current thread is inside ``off(_:)``.
    var isOn: Bool { depth.value.value == 0 }

    /// Runs `body` with the switch off on the current thread.
    func off<R>(_ body: () throws -> R) rethrows -> R {
        let depth = self.depth.value
        depth.value += 1
        defer { depth.value -= 1 }
        return try body()
    }
}
