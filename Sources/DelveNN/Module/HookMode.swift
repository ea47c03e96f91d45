import Foundation

/// Whether forward hooks run on the current thread (``Module/withoutHooks(_:)`` turns them off), kept
/// per thread like ``GradMode``.
enum HookMode {
    final class Flag { var disabledDepth = 0 }
    static let key = "DelveNN.HookMode"

    static var flag: Flag {
        let dictionary = Thread.current.threadDictionary
        if let flag = dictionary[key] as? Flag { return flag }
        let flag = Flag()
        dictionary[key] = flag
        return flag
    }

    /// `true` unless the current thread is inside `withoutHooks`.
    static var isEnabled: Bool { flag.disabledDepth == 0 }

    /// Runs `body` with forward hooks off on the current thread.
    static func withoutHooks<R>(_ body: () throws -> R) rethrows -> R {
        let flag = self.flag
        flag.disabledDepth += 1
        defer { flag.disabledDepth -= 1 }
        return try body()
    }
}
