import Delve
import Foundation

extension AnalyzeReport {
    /// The CKA matrix as JSON: rows in file order, `"nan"` for a layer without variance.
    func ckaJSON(_ matrix: CKAMatrix) -> JSONValue {
        let count = matrix.layers.count
        return .array((0..<count).map { i in .array((0..<count).map { JSONValue.double(matrix[i, $0]) }) })
    }

    /// `linear CKA (N samples):` and an aligned layer × layer table with 4 decimals.
    func ckaTable(_ matrix: CKAMatrix) -> String {
        let names = matrix.layers
        let header = ["cka"] + names
        var rows: [[String]] = [header]
        for (i, name) in names.enumerated() {
            rows.append([name] + names.indices.map { j in
                let value = matrix[i, j]
                return value.isFinite ? String(format: "%.4f", value) : delveNumberText(value)
            })
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = "linear CKA between the files (\(matrix.samples) samples):\n"
        for row in rows {
            out += row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ") + "\n"
        }
        return out
    }
}
