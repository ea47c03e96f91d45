import Delve

/// Reads epoch records back from a `statistics.csv` (this package's or Python Delve's CSV writer):
/// columns `<phase>-<statistic key>_<layer>` become layer statistics, every other column a user scalar.
/// The CSV has no feature counts, sample counts or spectra; those fields stay 0 / nil.
public enum CSVRecords {
    /// The records of the CSV `text`, one per row; `path` names the file in errors.
    public static func records(fromCSV text: String, path: String) throws(WriterError) -> [EpochRecord] {
        let table = try CSVWriter.parse(text, path: path)
        // Longest statistic keys first, so that "covariance-log-determinant" wins over shorter prefixes.
        let statistics = Statistic.allCases.filter(\.isScalar).sorted { $0.delveKey.count > $1.delveKey.count }
        var parsed: [String: (phase: Phase, statistic: Statistic, layer: String)] = [:]
        for column in table.columns {
            outer: for phase in Phase.allCases {
                for stat in statistics {
                    let prefix = "\(phase.rawValue)-\(stat.delveKey)_"
                    if column.hasPrefix(prefix), column.count > prefix.count {
                        parsed[column] = (phase, stat, String(column.dropFirst(prefix.count)))
                        break outer
                    }
                }
            }
        }
        var records: [EpochRecord] = []
        for (rowNumber, row) in table.rows.enumerated() {
            var layers: [LayerEpochValues] = []
            var scalars: [(name: String, value: Double)] = []
            for column in table.columns {
                guard let cell = row.cells[column] else { continue }
                guard let value = Double(cell) else {
                    throw .malformed(path: path, line: rowNumber + 2, reason: "column \(column): '\(cell)' is not a number")
                }
                if let key = parsed[column] {
                    if let i = layers.firstIndex(where: { $0.layer == key.layer && $0.phase == key.phase }) {
                        layers[i].statistics[key.statistic] = value
                    } else {
                        layers.append(LayerEpochValues(layer: key.layer, phase: key.phase, features: 0, samples: 0, statistics: [key.statistic: value]))
                    }
                } else {
                    scalars.append((column, value))
                }
            }
            records.append(EpochRecord(epoch: row.index, layers: layers, scalars: scalars))
        }
        return records
    }
}
