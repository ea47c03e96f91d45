#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads class labels from a `.npy` file for the linear probes (`delve analyze --labels`): a 1-D array
/// (or N × 1) of integers (`<i1`…`<i8`, `<u1`…`<u8`, `|i1`, `|u1`) or of floats (`<f4`, `<f8`) that are
/// whole numbers; every label must be ≥ 0. Errors name the file and what was expected.
public enum NPYLabels {
    /// The labels of `path`.
    public static func read(path: String) throws(ActivationFileError) -> [Int] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .npy(NPYError(path: path, kind: .io("cannot open: \(POSIXFile.lastErrorMessage())"))) }
        defer { close(fd) }
        let bytes: [UInt8]
        do { bytes = try POSIXFile.readBytes(fd, count: try POSIXFile.size(fd, path: path), offset: 0, path: path) } catch { throw .npy(error) }
        return try decode(bytes, path: path)
    }

    /// The labels of a whole `.npy` file's bytes.
    public static func decode(_ bytes: [UInt8], path: String) throws(ActivationFileError) -> [Int] {
        do { return try decodeHeaderAndValues(bytes, path: path) } catch let error as NPYError { throw .npy(error) } catch let error as ActivationFileError { throw error } catch { throw .other(path: path, message: "\(error)") }
    }

    private static func decodeHeaderAndValues(_ bytes: [UInt8], path: String) throws -> [Int] {
        let prefix = try NPYHeader.parsePrefix(Array(bytes.prefix(12)), path: path)
        let end = prefix.prefixLength + prefix.dictionaryLength
        guard end <= bytes.count else {
            throw NPYError(path: path, kind: .headerBeyondFile(headerEnd: end, fileSize: bytes.count))
        }
        var parser = PythonLiteralParser(bytes: Array(bytes[prefix.prefixLength..<end]))
        let value: PythonLiteral
        do { value = try parser.parseTopLevel() } catch { throw NPYError(path: path, kind: .malformedHeader(error.message)) }
        guard case .dictionary(let entries) = value,
              case .string(let descr)? = entries.first(where: { $0.key == "descr" })?.value,
              case .tuple(let items)? = entries.first(where: { $0.key == "shape" })?.value else {
            throw NPYError(path: path, kind: .malformedHeader("expected the keys 'descr' and 'shape'"))
        }
        if case .bool(true)? = entries.first(where: { $0.key == "fortran_order" })?.value, items.count > 1 {
            throw NPYError(path: path, kind: .fortranOrder)
        }
        var shape: [Int] = []
        for item in items {
            guard case .integer(let n) = item, n >= 0 else { throw NPYError(path: path, kind: .malformedHeader("'shape' holds a non-integer")) }
            shape.append(n)
        }
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
            throw NPYError(path: path, kind: .malformedHeader("labels must be a 1-D array (N,) or (N, 1), got shape \(shape)"))
        }
        let count = shape[0]
        let kinds: [String: (bytes: Int, signed: Bool, float: Bool)] = [
            "<i1": (1, true, false), "|i1": (1, true, false), "<i2": (2, true, false), "<i4": (4, true, false),
            "<i8": (8, true, false), "<u1": (1, false, false), "|u1": (1, false, false), "<u2": (2, false, false),
            "<u4": (4, false, false), "<u8": (8, false, false), "<f4": (4, true, true), "<f8": (8, true, true),
        ]
        guard let kind = kinds[descr] else {
            throw NPYError(path: path, kind: .unsupportedDType("\(descr) (labels must be little-endian integers, or floats holding whole numbers)"))
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: kind.bytes)
        guard !overflow, end + needed <= bytes.count else {
            throw NPYError(path: path, kind: .truncated(expectedBytes: overflow ? Int.max : needed, actualBytes: bytes.count - end))
        }
        var labels = [Int](repeating: 0, count: count)
        for i in 0..<count {
            var raw: UInt64 = 0
            for b in 0..<kind.bytes { raw |= UInt64(bytes[end + i * kind.bytes + b]) << (8 * UInt64(b)) }
            let value: Double
            if kind.float {
                value = kind.bytes == 4 ? Double(Float(bitPattern: UInt32(raw))) : Double(bitPattern: raw)
            } else if kind.signed {
                let shift = UInt64(64 - 8 * kind.bytes)
                value = Double(Int64(bitPattern: raw << shift) >> Int64(shift))
            } else {
                guard raw <= UInt64(Int.max) else { throw ActivationFileError.other(path: path, message: "label \(i) is \(raw), too large") }
                value = Double(raw)
            }
            guard value.isFinite, value == value.rounded(), abs(value) < 9.0e15 else {
                throw ActivationFileError.other(path: path, message: "label \(i) is \(value), not an integer class index; expected labels 0, 1, …")
            }
            guard value >= 0 else {
                throw ActivationFileError.other(path: path, message: "label \(i) is \(Int(value)), negative; expected class indices 0, 1, …")
            }
            labels[i] = Int(value)
        }
        return labels
    }
}
