import Delve

/// libFuzzer entry point: the input is one line of `statistics.jsonl` (what `delve train --resume`,
/// `delve report` and `delve rethreshold` read back). Where it parses as an epoch record, the record's
/// own JSON must parse back to a record that prints the same JSON (a write → read round trip).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEpochRecord(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let json = try? JSONValue.parse(text, source: "fuzz.jsonl"),
          let record = try? EpochRecord(json: json, source: "fuzz.jsonl") else { return 0 }
    let written = record.jsonValue.text
    guard let again = try? EpochRecord(json: try JSONValue.parse(written, source: "again"), source: "again") else {
        fatalError("a record's own JSON does not parse back: \(written.prefix(200))")
    }
    guard again.jsonValue.text == written else { fatalError("the JSON round trip changed the record: \(written.prefix(200))") }
    return 0
}
