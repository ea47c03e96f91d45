/// Whether forward hooks run on the current thread (``Module/withoutHooks(_:)`` turns them off), kept
/// per thread like ``GradMode``.
enum HookMode {
    static let scope = ThreadScope(key: "DelveNN.HookMode")

    /// `true` unless the current thread is inside `withoutHooks`.
    static var isEnabled: Bool { scope.isOn }

    /// Runs `body` with forward hooks off on the current thread.
    static func withoutHooks<R>(_ body: () throws -> R) rethrows -> R {
        try scope.off(body)
    }
}
