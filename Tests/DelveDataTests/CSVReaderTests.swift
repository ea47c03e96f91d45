import Foundation
import Testing
@testable import DelveData

@Suite("CSV reader")
struct CSVReaderTests {
    @Test func detectsHeaderAndReadsLastColumnLabels() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("iris.csv", text: "a,b,label\r\n1.5,2,1\n\n-3,4e1,0\r\n0.25, 8 ,2\n")
        let data = try CSVDataset.load(path)
        #expect(data.sampleShape == [2])
        #expect(data.pixels == [1.5, 2, -3, 40, 0.25, 8])
        #expect(data.labels == [1, 0, 2])
        #expect(data.classCount == 3)
        #expect(data.classNames == nil)
        #expect(data.valueRange == -3 ... 40)
    }

    @Test func noHeaderFirstColumnAndGzip() throws {
        let dir = TemporaryDirectory()
        try Zlib.writeGzip(Array("4,1,2,3,4\n2,5,6,7,8\n".utf8), to: dir.file("x.csv.gz"))
        let data = try CSVDataset.load(dir.file("x.csv.gz"), options: .init(labelColumn: .first, sampleShape: [1, 2, 2]))
        #expect(data.sampleShape == [1, 2, 2])
        #expect(data.labels == [4, 2])
        #expect(data.classCount == 5)
        #expect(data.pixels == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func textLabelsByNameAndSemicolons() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("t.csv", text: "species;x;y\n\"setosa\";1;2\nvirginica;3;4\nsetosa;5;6\n")
        let data = try CSVDataset.load(path, options: .init(labelColumn: .named("species"), delimiter: ";"))
        #expect(data.classNames == ["setosa", "virginica"])
        #expect(data.labels == [0, 1, 0])
        #expect(data.pixels == [1, 2, 3, 4, 5, 6])
    }

    @Test func roundTripOfTheDigits() throws {
        let digits = try Digits.load().subset(Array(0 ..< 40))
        var text = (0 ..< 64).map { "p\($0)" }.joined(separator: ",") + ",digit\n"
        for i in 0 ..< digits.count {
            text += digits.sample(i).map { String(Int($0)) }.joined(separator: ",") + ",\(digits.labels[i])\n"
        }
        let dir = TemporaryDirectory()
        let read = try CSVDataset.load(dir.write("d.csv", text: text), options: .init(sampleShape: [1, 8, 8]))
        #expect(read.pixels == digits.pixels)
        #expect(read.labels == digits.labels)
    }

    @Test func errorsNameLineAndColumn() throws {
        let dir = TemporaryDirectory()
        let badCell = dir.write("bad.csv", text: "1,2,0\n3,x4,1\n")
        #expect(throws: DatasetError.csvBadCell(file: badCell, line: 2, column: 2, text: "x4")) {
            _ = try CSVDataset.load(badCell)
        }
        let nan = dir.write("nan.csv", text: "h1,h2,y\n1,2,0\n\n3,nan,1\n")
        #expect(throws: DatasetError.csvBadCell(file: nan, line: 4, column: 2, text: "nan")) {
            _ = try CSVDataset.load(nan)
        }
        let columns = dir.write("cols.csv", text: "1,2,0\n3,4,5,1\n")
        #expect(throws: DatasetError.csvColumnCount(file: columns, line: 2, expected: 3, found: 4)) {
            _ = try CSVDataset.load(columns)
        }
        let empty = dir.write("empty.csv", text: "\n\n")
        #expect(throws: DatasetError.csvStructure(file: empty, message: "no data rows")) { _ = try CSVDataset.load(empty) }
        let headerOnly = dir.write("h.csv", text: "a,b\n")
        #expect(throws: DatasetError.csvStructure(file: headerOnly, message: "no data rows after the header")) {
            _ = try CSVDataset.load(headerOnly)
        }
        let plain = dir.write("p.csv", text: "1,2,0\n")
        #expect(throws: DatasetError.csvStructure(file: plain, message: "label column index 3 is outside 0..<3")) {
            _ = try CSVDataset.load(plain, options: .init(labelColumn: .index(3)))
        }
        #expect(throws: DatasetError.self) { _ = try CSVDataset.load(plain, options: .init(sampleShape: [2, 2])) }
    }
}
