import DelveNN

/// libFuzzer entry point: the input is a safetensors file. A file that decodes must re-encode (as F32)
/// and decode again to the same shapes and values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let (tensors, metadata) = try? Safetensors.decode(bytes, file: "fuzz.safetensors") else { return 0 }
    guard let encoded = try? Safetensors.encode(tensors, metadata: metadata),
          let (again, metadataAgain) = try? Safetensors.decode(encoded) else {
        fatalError("a decoded safetensors file does not round-trip through encode")
    }
    guard metadataAgain == metadata, again.count == tensors.count else { fatalError("round trip changed the entries") }
    for (name, tensor) in tensors {
        guard let other = again[name], other.shape == tensor.shape,
              zip(other.values, tensor.values).allSatisfy({ $0.bitPattern == $1.bitPattern }) else {
            fatalError("round trip changed tensor '\(name)'")
        }
    }
    return 0
}
