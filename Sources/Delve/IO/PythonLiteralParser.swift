/// A value of the small subset of Python literal syntax used in `.npy` headers.
enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case dictionary([(key: String, value: PythonLiteral)])

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.none, .none): return true
        case (.tuple(let x), .tuple(let y)): return x == y
        case (.dictionary(let x), .dictionary(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}

/// Why a Python literal could not be parsed.
struct PythonLiteralError: Error {
    let message: String
}

/// A recursive-descent parser for the Python literals in a `.npy` header: dictionaries with string
/// keys, strings in single or double quotes, integers, `True`, `False`, `None`, and tuples or lists.
/// Nesting is limited so that a hostile header cannot exhaust the stack.
struct PythonLiteralParser {
    private let bytes: [UInt8]
    private var position = 0
    private static let maximumDepth = 16

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one literal that must be followed only by whitespace.
    mutating func parseTopLevel() throws(PythonLiteralError) -> PythonLiteral {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected text after the dictionary") }
        return value
    }

    private func fail(_ message: String) -> PythonLiteralError {
        PythonLiteralError(message: "\(message) (at byte \(position) of the header dictionary)")
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func parseValue(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        guard depth < Self.maximumDepth else { throw fail("nesting too deep") }
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseDictionary(depth: depth)
        case UInt8(ascii: "("): return .tuple(try parseSequence(close: UInt8(ascii: ")"), depth: depth))
        case UInt8(ascii: "["): return .tuple(try parseSequence(close: UInt8(ascii: "]"), depth: depth))
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try parseInteger())
        default: return try parseWord()
        }
    }

    private mutating func parseDictionary(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        position += 1  // {
        var entries: [(key: String, value: PythonLiteral)] = []
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw fail("unterminated dictionary") }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .dictionary(entries) }
            guard bytes[position] == UInt8(ascii: "'") || bytes[position] == UInt8(ascii: "\"") else {
                throw fail("expected a string key")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':' after key '\(key)'") }
            position += 1
            let value = try parseValue(depth: depth + 1)
            if entries.contains(where: { $0.key == key }) { throw fail("duplicate key '\(key)'") }
            entries.append((key, value))
            skipWhitespace()
            guard position < bytes.count else { throw fail("unterminated dictionary") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            guard bytes[position] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
        }
    }

    private mutating func parseSequence(close: UInt8, depth: Int) throws(PythonLiteralError) -> [PythonLiteral] {
        position += 1  // ( or [
        var items: [PythonLiteral] = []
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw fail("unterminated tuple") }
            if bytes[position] == close { position += 1; return items }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw fail("unterminated tuple") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            guard bytes[position] == close else { throw fail("expected ',' or the end of the tuple") }
        }
    }

    private mutating func parseString() throws(PythonLiteralError) -> String {
        let quote = bytes[position]
        position += 1
        var content: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == quote { return String(decoding: content, as: UTF8.self) }
            if byte == UInt8(ascii: "\\") {
                guard position < bytes.count else { break }
                content.append(bytes[position])
                position += 1
            } else {
                content.append(byte)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseInteger() throws(PythonLiteralError) -> Int {
        var negative = false
        if bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        var value = 0
        var digits = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
            guard !o1 && !o2 else { throw fail("integer too large") }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw fail("expected digits") }
        // Python 2 era headers may write long integers as `3L`.
        if position < bytes.count, bytes[position] == UInt8(ascii: "L") { position += 1 }
        return negative ? -value : value
    }

    private mutating func parseWord() throws(PythonLiteralError) -> PythonLiteral {
        let start = position
        while position < bytes.count, bytes[position].isASCIILetter { position += 1 }
        let word = String(decoding: bytes[start..<position], as: UTF8.self)
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default:
            position = start
            throw fail(word.isEmpty ? "unexpected character" : "unexpected word '\(word)'")
        }
    }
}

private extension UInt8 {
    var isASCIILetter: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}
