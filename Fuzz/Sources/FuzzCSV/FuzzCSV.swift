import DelveData

/// libFuzzer entry point: the input is a CSV file. The first byte chooses the options (label column
/// last/first/index 1/named "label", header auto/present/absent, delimiter ',' or ';').
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let selector = Int(data[0])
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let labelColumn: CSVDataset.LabelColumn = [.last, .first, .index(1), .named("label")][selector % 4]
    let header: CSVDataset.Header = [.auto, .present, .absent][(selector / 4) % 3]
    let delimiter: Character = (selector / 12) % 2 == 0 ? "," : ";"
    let options = CSVDataset.Options(labelColumn: labelColumn, header: header, delimiter: delimiter)
    if let dataset = try? CSVDataset.decode(bytes, name: "fuzz.csv", options: options) {
        guard dataset.labels.allSatisfy({ (0 ..< dataset.classCount).contains($0) }) else { fatalError("label out of range") }
    }
    return 0
}
