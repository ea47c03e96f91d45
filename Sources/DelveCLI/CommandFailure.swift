/// A failure with a message for people (the file, option or layer it concerns first).
struct CommandFailure: Error, CustomStringConvertible {
    /// The message, without the `error:` prefix.
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
