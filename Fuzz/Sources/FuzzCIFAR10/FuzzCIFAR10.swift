import DelveData

/// libFuzzer entry point: the input is a CIFAR-10 binary batch file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR10(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let dataset = try? CIFAR10.decode(bytes, name: "fuzz_batch.bin") {
        guard dataset.count * CIFAR10.recordSize == bytes.count else { fatalError("record count") }
    }
    return 0
}
