import Delve
#if canImport(Glibc)
import Glibc
#endif

/// The scratch file the analyzer half of this target reads (tmpfs when available).
nonisolated(unsafe) private var scratchPath: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/delve-fuzz-npy-\(getpid()).npy"
}()

/// libFuzzer entry point: the input is a `.npy` file. It is decoded in memory (header, Python
/// literal, values), then written to a scratch file and streamed through `ActivationFileAnalyzer`
/// (at most 32 features so a valid file stays cheap). Any thrown error is fine; a crash, a sanitizer
/// report or a result that disagrees with the in-memory decode is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let decoded = try? NPYReader.decode(bytes, path: "fuzz.npy")

    let fd = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    defer { unlink(scratchPath) }

    if let reader = try? NPYReader(path: scratchPath) {
        // The streaming reader and the in-memory decode must agree on every valid file.
        guard let decoded, decoded.header == reader.header else { fatalError("NPYReader and NPYReader.decode disagree on the header") }
        if reader.rowCount * reader.rowElements <= 1 << 16, let values = try? reader.readAllDoubles() {
            guard values.count == decoded.values.count,
                  zip(values, decoded.values).allSatisfy({ $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }) else {
                fatalError("NPYReader and NPYReader.decode disagree on the values")
            }
        }
    } else if decoded != nil {
        fatalError("NPYReader.decode accepts a file NPYReader rejects")
    }

    var analyzer = ActivationFileAnalyzer(statistics: [.lsat, .idim, .trc], chunkRows: 3, maximumFeatures: 32)
    analyzer.badBatchPolicy = size % 2 == 0 ? .fail : .skip
    if let (accumulator, shape, kind, skipped) = try? analyzer.accumulate(path: scratchPath) {
        _ = (shape, kind)
        _ = try? analyzer.result(of: accumulator, source: scratchPath, skippedBatches: skipped)
    }
    return 0
}
