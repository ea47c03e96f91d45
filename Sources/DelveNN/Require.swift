/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// A wrong argument to a layer (an input shape that does not fit, a negative size) is a programming error
/// that DelveNN does not recover from. Swift's `precondition` drops its message in optimized builds, which
/// left a bare "Illegal instruction"; this prints the message — which layer, what it expected, what it
/// got — with the file and line, then stops. The message is only built when the check fails.
@usableFromInline @inline(__always)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}
