/// Whether operations record the autograd tape on the current thread.
///
/// Inside `withoutGrad` nothing is recorded (inference mode): outputs have no parents and do not
/// require gradients, and no intermediate values are kept alive.
public enum GradMode {
    static let scope = ThreadScope(key: "DelveNN.GradMode")

    /// `true` unless the current thread is inside `withoutGrad`.
    public static var isEnabled: Bool { scope.isOn }

    /// Runs `body` without recording any operation for autograd.
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        try scope.off(body)
    }
}
