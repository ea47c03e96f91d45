import Foundation

/// Reader and writer of the safetensors weight-file format (Hugging Face), on plain named arrays.
///
/// Layout of a file: an 8-byte little-endian unsigned header length `N`, then `N` bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}}`
/// (possibly padded with trailing spaces), then the byte buffer. Offsets are relative to the start of the
/// buffer, `end − begin = product(shape) × dtype size`, and the tensors cover the buffer exactly once
/// (no overlap, no hole). Values are little-endian, row-major.
///
/// The writer writes `F32`; the reader accepts `F32`, `F64`, `F16`, `BF16` and the integer types `I64`, `I32`,
/// `I16`, `I8`, `U8`, `BOOL` (e.g. PyTorch's `num_batches_tracked`) and converts them to `Float`
/// (integers beyond 2²⁴ round to the nearest `Float`).
/// Validation is strict: every malformed file is reported as a ``SafetensorsError`` naming the file.
public enum Safetensors {
    /// Named arrays as stored in a file: each name maps to its row-major shape and values.
    public typealias NamedArrays = [String: (shape: [Int], values: [Float])]

    /// The largest header length accepted (as in the reference implementation): 100 MB.
    public static let maximumHeaderLength = 100_000_000

    /// The name the format reserves for the free-form string-to-string metadata.
    public static let metadataKey = "__metadata__"

    // MARK: Reading

    /// Reads and validates a safetensors file.
    public static func read(contentsOf url: URL) throws(SafetensorsError) -> (tensors: NamedArrays, metadata: [String: String]) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(file: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        let result = data.withUnsafeBytes { raw in
            Result { () throws(SafetensorsError) in try decode(raw, file: url.path) }
        }
        return try result.get()
    }

    /// Decodes and validates a safetensors byte buffer; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String = "<memory>") throws(SafetensorsError) -> (tensors: NamedArrays, metadata: [String: String]) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(SafetensorsError) in try decode(raw, file: file) }
        }
        return try result.get()
    }

    /// Decodes and validates a safetensors byte buffer; `file` names it in errors.
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String = "<memory>") throws(SafetensorsError) -> (tensors: NamedArrays, metadata: [String: String]) {
        guard bytes.count >= 8 else {
            throw .truncated(file: file, detail: "\(bytes.count) bytes, fewer than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength >= 2, headerLength <= UInt64(maximumHeaderLength),
              headerLength <= UInt64(bytes.count - 8) else {
            throw .invalidHeaderLength(file: file, headerLength: headerLength, fileSize: bytes.count)
        }
        let headerEnd = 8 + Int(headerLength)
        let header = Data(bytes[8..<headerEnd])
        guard String(data: header, encoding: .utf8) != nil else {
            throw .malformedHeader(file: file, detail: "the header is not valid UTF-8")
        }
        guard header.first == UInt8(ascii: "{") else {
            throw .malformedHeader(file: file, detail: "the header does not start with '{'")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: header, options: [])
        } catch {
            throw .malformedHeader(file: file, detail: "invalid JSON (\(error.localizedDescription))")
        }
        guard let object = json as? [String: Any] else {
            throw .malformedHeader(file: file, detail: "the header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in object {
            if name == metadataKey {
                guard let dictionary = value as? [String: Any] else {
                    throw .malformedHeader(file: file, detail: "'\(metadataKey)' is not an object of strings")
                }
                for (key, item) in dictionary {
                    guard let string = item as? String else {
                        throw .malformedHeader(file: file, detail: "'\(metadataKey)' value of '\(key)' is not a string")
                    }
                    metadata[key] = string
                }
                continue
            }
            entries.append(try Entry(name: name, json: value, file: file))
        }

        let bufferStart = headerEnd
        let bufferSize = bytes.count - bufferStart
        for entry in entries {
            guard entry.begin <= entry.end else {
                throw .invalidOffsets(file: file, tensor: entry.name, detail: "data_offsets [\(entry.begin), \(entry.end)] are reversed")
            }
            guard entry.end <= bufferSize else {
                throw .truncated(file: file, detail: "tensor '\(entry.name)' ends at byte \(entry.end) of a \(bufferSize)-byte buffer")
            }
            let (bytesNeeded, overflow) = entry.count.multipliedReportingOverflow(by: entry.dtype.size)
            guard !overflow, entry.end - entry.begin == bytesNeeded else {
                throw .invalidOffsets(
                    file: file, tensor: entry.name,
                    detail: "data_offsets span \(entry.end - entry.begin) bytes but shape \(entry.shape) of \(entry.dtype.rawValue) needs \(overflow ? "too many" : String(bytesNeeded))")
            }
        }
        let ordered = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previousName = ""
        for entry in ordered {
            if entry.begin < covered {
                throw .overlappingOrIncompleteBuffer(file: file, detail: "tensors '\(previousName)' and '\(entry.name)' overlap (byte \(entry.begin))")
            }
            if entry.begin > covered {
                throw .overlappingOrIncompleteBuffer(file: file, detail: "bytes \(covered)..<\(entry.begin) of the buffer belong to no tensor")
            }
            covered = entry.end
            previousName = entry.name
        }
        if covered != bufferSize {
            throw .overlappingOrIncompleteBuffer(file: file, detail: "bytes \(covered)..<\(bufferSize) of the buffer belong to no tensor")
        }

        var tensors: NamedArrays = [:]
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            let start = bufferStart + entry.begin
            let values = entry.dtype.convert(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + entry.end - entry.begin)]), count: entry.count)
            tensors[entry.name] = (shape: entry.shape, values: values)
        }
        return (tensors, metadata)
    }

    // MARK: Writing

    /// Encodes named arrays as a safetensors byte buffer of `F32` tensors (names in sorted order).
    public static func encode(_ tensors: NamedArrays, metadata: [String: String] = [:]) throws(SafetensorsError) -> [UInt8] {
        let names = tensors.keys.sorted()
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += jsonString(metadataKey) + ":{"
            header += metadata.keys.sorted().map { jsonString($0) + ":" + jsonString(metadata[$0]!) }.joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for name in names {
            let (shape, values) = tensors[name]!
            guard name != metadataKey else {
                throw .invalidTensor(tensor: name, detail: "the name is reserved for metadata")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw .invalidTensor(tensor: name, detail: "shape \(shape) has a negative dimension")
            }
            let count = shape.reduce(1, *)
            guard count == values.count else {
                throw .invalidTensor(tensor: name, detail: "shape \(shape) holds \(count) values but \(values.count) were given")
            }
            let end = offset + 4 * count
            if !first { header += "," }
            first = false
            header += jsonString(name) + ":{\"dtype\":\"F32\",\"shape\":["
                + shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }

        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        let length = UInt64(headerBytes.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        out.append(contentsOf: headerBytes)
        for name in names {
            for value in tensors[name]!.values {
                let bits = value.bitPattern
                out.append(UInt8(truncatingIfNeeded: bits))
                out.append(UInt8(truncatingIfNeeded: bits >> 8))
                out.append(UInt8(truncatingIfNeeded: bits >> 16))
                out.append(UInt8(truncatingIfNeeded: bits >> 24))
            }
        }
        return out
    }

    /// Writes named arrays as an `F32` safetensors file, atomically: the bytes go to a temporary file
    /// in the same directory, which is then renamed over `url`, so a reader never sees half a file.
    public static func write(_ tensors: NamedArrays, metadata: [String: String] = [:], to url: URL) throws(SafetensorsError) {
        let bytes = try encode(tensors, metadata: metadata)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        if let failure = writeWhole(bytes, to: temporary.path) {
            unlink(temporary.path)
            throw .io(file: url.path, reason: "cannot write the temporary file \(temporary.path) (\(failure))")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .io(file: url.path, reason: "cannot rename the temporary file into place (\(reason))")
        }
    }

    // MARK: Internals

    /// Writes `bytes` as the file at `path` with POSIX calls; returns the system's reason on failure
    /// (`File too large`, `No space left on device`, …).
    private static func writeWhole(_ bytes: [UInt8], to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(done))
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                done += n
            }
        }
        if close(fd) != 0, failure == 0 { failure = errno }
        return failure == 0 ? nil : String(cString: strerror(failure))
    }

    /// The element types the reader understands.
    enum DType: String {
        case f32 = "F32", f64 = "F64", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

        /// Bytes per element.
        var size: Int {
            switch self {
            case .f64, .i64: return 8
            case .f32, .i32: return 4
            case .f16, .bf16, .i16: return 2
            case .i8, .u8, .bool: return 1
            }
        }

        /// Converts `count` little-endian elements to `Float`.
        func convert(_ raw: UnsafeRawBufferPointer, count: Int) -> [Float] {
            [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                switch self {
                case .f32:
                    for i in 0..<count {
                        buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                case .f64:
                    for i in 0..<count {
                        buffer[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    }
                case .f16:
                    for i in 0..<count {
                        buffer[i] = Safetensors.floatFromHalf(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                case .bf16:
                    for i in 0..<count {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        buffer[i] = Float(bitPattern: UInt32(bits) << 16)
                    }
                case .i64:
                    for i in 0..<count {
                        buffer[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                    }
                case .i32:
                    for i in 0..<count {
                        buffer[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                    }
                case .i16:
                    for i in 0..<count {
                        buffer[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                    }
                case .i8:
                    for i in 0..<count { buffer[i] = Float(Int8(bitPattern: raw[i])) }
                case .u8:
                    for i in 0..<count { buffer[i] = Float(raw[i]) }
                case .bool:
                    for i in 0..<count { buffer[i] = raw[i] == 0 ? 0 : 1 }
                }
                initialized = count
            }
        }
    }

    /// IEEE 754 binary16 bits to `Float` (exact: every half value is a float value).
    static func floatFromHalf(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            return sign * Float(mantissa) * 0x1p-24
        case 31:
            return mantissa == 0 ? sign * .infinity : .nan
        default:
            let floatBits = (UInt32(bits & 0x8000) << 16) | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13)
            return Float(bitPattern: floatBits)
        }
    }

    /// One validated header entry.
    struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let count: Int
        let begin: Int
        let end: Int

        init(name: String, json: Any, file: String) throws(SafetensorsError) {
            self.name = name
            guard let fields = json as? [String: Any] else {
                throw .malformedHeader(file: file, detail: "entry '\(name)' is not an object")
            }
            guard let dtypeName = fields["dtype"] as? String else {
                throw .malformedHeader(file: file, detail: "entry '\(name)' has no string 'dtype'")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw .unsupportedDType(file: file, tensor: name, dtype: dtypeName)
            }
            self.dtype = dtype
            guard let shapeArray = fields["shape"] as? [Any],
                  let shape = Entry.integers(shapeArray), shape.allSatisfy({ $0 >= 0 }) else {
                throw .malformedHeader(file: file, detail: "entry '\(name)' has no 'shape' array of non-negative integers")
            }
            self.shape = shape
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else {
                    throw .invalidOffsets(file: file, tensor: name, detail: "shape \(shape) has too many elements")
                }
                count = product
            }
            self.count = count
            guard let offsetArray = fields["data_offsets"] as? [Any], offsetArray.count == 2,
                  let offsets = Entry.integers(offsetArray), offsets[0] >= 0, offsets[1] >= 0 else {
                throw .malformedHeader(file: file, detail: "entry '\(name)' has no 'data_offsets' pair of non-negative integers")
            }
            self.begin = offsets[0]
            self.end = offsets[1]
            let unknown = Set(fields.keys).subtracting(["dtype", "shape", "data_offsets"])
            guard unknown.isEmpty else {
                throw .malformedHeader(file: file, detail: "entry '\(name)' has unknown fields \(unknown.sorted())")
            }
        }

        /// The elements as integers, or nil when one is not an integral number (JSON booleans excluded:
        /// Foundation bridges them to `NSNumber` of Objective-C type `c`).
        static func integers(_ items: [Any]) -> [Int]? {
            var result: [Int] = []
            result.reserveCapacity(items.count)
            for item in items {
                guard let number = item as? NSNumber, String(cString: number.objCType) != "c",
                      let integer = number as? Int else { return nil }
                result.append(integer)
            }
            return result
        }
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
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
}
