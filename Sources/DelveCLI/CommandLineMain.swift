import ArgumentParser
import Foundation

/// Runs `delve` with one error style: every message starts `error:` and names the file, option or layer
/// concerned; a usage error (a bad option or value, exit code 64) is followed by the subcommand's usage.
enum CommandLineMain {
    /// Parses the command line, runs the chosen subcommand and exits.
    static func run(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        var command: ParsableCommand
        do {
            command = try DelveCommand.parseAsRoot(arguments)
        } catch {
            exit(error, subcommand: subcommand(named: arguments.first))
        }
        do {
            try command.run()
        } catch {
            exit(error, subcommand: type(of: command))
        }
        Foundation.exit(0)
    }

    /// The subcommand whose name is `name`, if any.
    static func subcommand(named name: String?) -> ParsableCommand.Type? {
        DelveCommand.configuration.subcommands.first { $0.configuration.commandName == name }
    }

    /// Prints `error` in the one style and exits with its code; help and version requests print as usual.
    static func exit(_ error: Error, subcommand: ParsableCommand.Type?) -> Never {
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }  // already reported
        let code = DelveCommand.exitCode(for: error)
        guard code != .success else { DelveCommand.exit(withError: error) }
        FileHandle.standardError.write(Data(text(for: error, subcommand: subcommand).utf8))
        Foundation.exit(code.rawValue)
    }

    /// The message of `error`: `error: …`, then for usage errors the subcommand's usage and where its help is.
    static func text(for error: Error, subcommand: ParsableCommand.Type?) -> String {
        let message = DelveCommand.message(for: error)
        var text = "error: " + lowercasedFirst(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message) + "\n"
        guard DelveCommand.exitCode(for: error) == .validationFailure else { return text }
        if let subcommand, ObjectIdentifier(subcommand) != ObjectIdentifier(DelveCommand.self) {
            let name = subcommand.configuration.commandName ?? ""
            text += "Usage: " + DelveCommand.usageString(for: subcommand) + "\n  See 'delve \(name) --help' for more information.\n"
        } else {
            text += "Usage: " + DelveCommand.usageString(for: DelveCommand.self) + "\n  See 'delve --help' for more information.\n"
        }
        return text
    }

    /// `message` with its first letter in lower case unless it starts an option, a path or an acronym.
    static func lowercasedFirst(_ message: String) -> String {
        guard let first = message.first, first.isUppercase else { return message }
        let second = message.dropFirst().first
        if let second, second.isUppercase { return message }
        return first.lowercased() + message.dropFirst()
    }
}
