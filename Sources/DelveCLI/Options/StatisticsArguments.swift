import ArgumentParser
import Delve
import DelveOutputs

/// `--stats`, `--threshold` and `--compat`: what every command that reports statistics computes from a
/// layer's spectrum (`analyze`, `merge`, `train`, `demo`). Each value is parsed once, while the
/// arguments are read; a bad value is a usage error naming the option (exit code 64).
struct StatisticsArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Comma-separated statistics: \(Statistic.spectral.map(\.rawValue).joined(separator: ",")) (default: lsat,idim).",
                               valueName: "list"),
            transform: StatisticsArguments.parseStatistics)
    var stats: [Statistic] = [.lsat, .idim]

    @Option(help: "δ, the share of variance that idim and lsat explain; in (0, 1].")
    var threshold = 0.99

    @Option(help: "idim convention: 'paper' (smallest k explaining ≥ δ) or 'delve' (Delve 0.1.50's count, one less).")
    var compat: IntrinsicDimensionalityConvention = .paper

    /// The options these arguments describe.
    var options: StatisticsOptions { StatisticsOptions(statistics: stats, threshold: threshold, convention: compat) }

    func validate() throws {
        do { try options.validate() } catch { throw ValidationError(error.description) }
    }

    /// Parses a `--stats` list; an unknown name or an empty list is an error naming the option.
    static func parseStatistics(_ text: String) throws -> [Statistic] {
        do {
            return try StatisticsOptions(parsing: text, threshold: 0.99).statistics
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// Parses a `--writers` list (`csv,jsonl,…`); an unknown name is an error listing the known ones.
func parseWriterKinds(_ text: String) throws -> [WriterKind] {
    do { return try WriterKind.parseList(text) } catch { throw ValidationError("--writers: \(error)") }
}
