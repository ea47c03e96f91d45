import DelveData

/// libFuzzer entry point: the input is an IDX file (MNIST). The first byte chooses images (even) or
/// labels (odd); the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] % 2 == 0 {
        if let images = try? MNIST.decodeImages(bytes, name: "fuzz-images-idx3-ubyte") {
            guard images.pixels.count == images.count * images.rows * images.columns else { fatalError("pixel count") }
        }
    } else {
        if let labels = try? MNIST.decodeLabels(bytes, name: "fuzz-labels-idx1-ubyte") {
            guard labels.count == bytes.count - 8 else { fatalError("label count") }
        }
    }
    return 0
}
