import Foundation

/// Whether operations record the autograd tape on the current thread.
///
/// Inside `withoutGrad` nothing is recorded (inference mode): outputs have no parents and do not
/// require gradients, and no intermediate values are kept alive.
public enum GradMode {
    final class Flag { var disabledDepth = 0 }
    static let key = "DelveNN.GradMode"

    static var flag: Flag {
        let dictionary = Thread.current.threadDictionary
        if let flag = dictionary[key] as? Flag { return flag }
        let flag = Flag()
        dictionary[key] = flag
        return flag
    }

    /// `true` unless the current thread is inside `withoutGrad`.
    public static var isEnabled: Bool { flag.disabledDepth == 0 }

    /// Runs `body` without recording any operation for autograd.
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        let flag = self.flag
        flag.disabledDepth += 1
        defer { flag.disabledDepth -= 1 }
        return try body()
    }
}
