import Delve

/// libFuzzer entry point: the input is a saved `CovarianceAccumulator` state (`DELVECOV`). A state
/// that parses must serialize back to exactly the same bytes and give a covariance of D² finite values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCovarianceState(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let accumulator = try? CovarianceAccumulator(serialized: bytes, source: "fuzz.state") else { return 0 }
    guard accumulator.serialized() == bytes else { fatalError("a parsed state does not serialize back to its bytes") }
    let covariance = accumulator.covariance()
    guard covariance.count == accumulator.features * accumulator.features else { fatalError("covariance size") }
    let copy = CovarianceAccumulator(features: accumulator.features, name: accumulator.name)
    try? copy.merge(accumulator)
    return 0
}
