import Foundation

/// A switch that is on unless the current thread is inside one of its ``off(_:)`` scopes (which nest);
/// each thread has its own. ``GradMode`` and `Module.withoutHooks` are built on it.
final class ThreadScope: Sendable {
    /// The per-thread count of open `off` scopes.
    private final class Depth { var value = 0 }
    /// The key of this switch's counter in each thread's dictionary.
    private let key: String

    /// A switch whose per-thread state is stored under `key`.
    init(key: String) { self.key = key }

    private var depth: Depth {
        let dictionary = Thread.current.threadDictionary
        if let depth = dictionary[key] as? Depth { return depth }
        let depth = Depth()
        dictionary[key] = depth
        return depth
    }

    /// `true` unless the current thread is inside ``off(_:)``.
    var isOn: Bool { depth.value == 0 }

    /// Runs `body` with the switch off on the current thread.
    func off<R>(_ body: () throws -> R) rethrows -> R {
        let depth = self.depth
        depth.value += 1
        defer { depth.value -= 1 }
        return try body()
    }
}
