import Foundation

/// A JSON value whose objects keep their key order, used for the run's `run.json` and
/// `statistics.jsonl` so that columns and layers come back in the order they were written.
///
/// Non-finite numbers have no JSON form; writers store them as the strings `"inf"`, `"-inf"`, `"nan"`
/// (see ``JSONValue/number(_:)`` and ``JSONValue/doubleValue``).
public indirect enum JSONValue: Equatable, Sendable {
    /// `null`
    case null
    /// `true` / `false`
    case bool(Bool)
    /// A finite number (non-finite numbers are written as strings).
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, keys in order.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A number, or for ±∞ and NaN the string `"inf"`, `"-inf"`, `"nan"`.
    public static func double(_ value: Double) -> JSONValue {
        value.isFinite ? .number(value) : .string(delveNumberText(value))
    }

    /// The number, also when stored as one of the strings `"inf"`, `"-inf"`, `"nan"`.
    public var doubleValue: Double? {
        switch self {
        case .number(let value): return value
        case .string(let text) where ["inf", "-inf", "nan"].contains(text): return Double(text)
        default: return nil
        }
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The key/value pairs in order, if this is an object.
    public var objectValue: [(String, JSONValue)]? {
        if case .object(let pairs) = self { return pairs }
        return nil
    }

    /// The value of `key`, if this is an object that has it.
    public subscript(key: String) -> JSONValue? {
        objectValue?.first(where: { $0.0 == key })?.1
    }

    /// Compact JSON text on one line (numbers in their shortest round-trip form).
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value):
            if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
                out += String(Int64(value))
            } else {
                out += delveNumberText(value)
            }
        case .string(let text): out += JSONValue.quoted(text)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += "," }
                out += JSONValue.quoted(pair.0)
                out += ":"
                pair.1.write(to: &out)
            }
            out += "}"
        }
    }

    /// `text` as a JSON string literal, with quotes, backslashes and control characters escaped.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Parses one JSON document; `source` names the file and line in the error.
    public static func parse(_ text: String, source: String = "<json>", line: Int = 1) throws(WriterError) -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8), source: source, line: line)
        let value = try parser.parseValue()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }
}

/// A strict recursive-descent JSON parser producing ``JSONValue`` (objects keep key order).
private struct JSONParser {
    let bytes: [UInt8]
    let source: String
    let line: Int
    var index = 0
    var depth = 0

    init(bytes: [UInt8], source: String, line: Int) {
        self.bytes = bytes
        self.source = source
        self.line = line
    }

    func error(_ reason: String) -> WriterError {
        .malformed(path: source, line: line, reason: "invalid JSON at byte \(index): \(reason)")
    }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func parseValue() throws(WriterError) -> JSONValue {
        skipSpace()
        guard index < bytes.count else { throw error("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        default: return .number(try parseNumber())
        }
    }

    mutating func expectWord(_ word: String) throws(WriterError) {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else {
            throw error("expected \(word)")
        }
        index += w.count
    }

    mutating func parseObject() throws(WriterError) -> JSONValue {
        depth += 1
        guard depth < 200 else { throw error("nesting too deep") }
        defer { depth -= 1 }
        index += 1
        var pairs: [(String, JSONValue)] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
            let key = try parseString()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            pairs.append((key, try parseValue()))
            skipSpace()
            guard index < bytes.count else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
            throw error("expected ',' or '}'")
        }
    }

    mutating func parseArray() throws(WriterError) -> JSONValue {
        depth += 1
        guard depth < 200 else { throw error("nesting too deep") }
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            items.append(try parseValue())
            skipSpace()
            guard index < bytes.count else { throw error("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    mutating func parseString() throws(WriterError) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush(_ raw: inout [UInt8], into scalars: inout String.UnicodeScalarView) {
            if !raw.isEmpty { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw = [] }
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") {
                flush(&raw, into: &scalars)
                return String(scalars)
            }
            if byte == UInt8(ascii: "\\") {
                flush(&raw, into: &scalars)
                guard index < bytes.count else { break }
                let esc = bytes[index]
                index += 1
                switch esc {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count,
                        bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try parseHex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                    scalars.append(scalar)
                default: throw error("invalid escape")
                }
            } else {
                guard byte >= 0x20 else { throw error("control character in string") }
                raw.append(byte)
            }
        }
        throw error("unterminated string")
    }

    mutating func parseHex4() throws(WriterError) -> UInt32 {
        guard index + 4 <= bytes.count,
            let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
        else { throw error("invalid \\u escape") }
        index += 4
        return code
    }

    mutating func parseNumber() throws(WriterError) -> Double {
        let start = index
        while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
        guard index > start, let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw error("invalid number")
        }
        return value
    }
}
