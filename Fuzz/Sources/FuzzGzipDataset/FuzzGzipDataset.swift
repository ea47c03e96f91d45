import DelveData
import Foundation

/// libFuzzer entry point: the input is a gzip-compressed IDX file (MNIST `.gz`), read from disk through
/// zlib's gz API as `delve train --dataset mnist` does. The first byte chooses images (even) or labels
/// (odd); the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzipDataset(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let path = NSTemporaryDirectory() + "/delve-fuzz-\(getpid()).gz"
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data + 1, count: size - 1)) else {
        fatalError("cannot write \(path)")
    }
    defer { unlink(path) }
    if data[0] % 2 == 0 {
        if let images = try? MNIST.readImages(path) {
            guard images.pixels.count == images.count * images.rows * images.columns else { fatalError("pixel count") }
        }
    } else {
        _ = try? MNIST.readLabels(path)
    }
    return 0
}
