import Foundation
import Testing
@testable import Delve

@Suite("Analyzing .npy activation files")
final class NPYAnalyzerTests {
    let directory: String
    init() throws { directory = try NPYTestSupport.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// rows×features values of exact rank 3: x = a·u + b·v + c·w + offset, integer-valued coefficients.
    private func rankThree(rows: Int, features: Int) -> [Float] {
        var out: [Float] = []
        for r in 0..<rows {
            let a = Float(r % 7) - 3, b = Float((r * 3) % 5) - 2, c = Float((r * 5) % 11) - 5
            for f in 0..<features {
                out.append(a * Float(f % 3 + 1) + b * Float((f * 2) % 5) - c * Float(f % 2) + 0.5)
            }
        }
        return out
    }

    private func write(_ values: [Float], _ shape: [Int], _ name: String) throws -> String {
        let path = directory + "/" + name
        try NPYWriter.write(values, shape: shape, to: path)
        return path
    }

    @Test func denseRankThree() throws {
        let path = try write(rankThree(rows: 200, features: 8), [200, 8], "fc1.npy")
        let result = try ActivationFileAnalyzer(statistics: [.lsat, .idim, .cov]).analyze(path: path)
        #expect(result.name == "fc1" && result.kind == .dense)
        #expect(result.samples == 200 && result.features == 8)
        #expect(result.statistics.values[.idim] == 3)
        #expect(result.statistics.values[.lsat] == 3.0 / 8)
        #expect(result.covariance?.count == 64)
    }

    @Test func chunkSizeDoesNotChangeTheResult() throws {
        let path = try write(rankThree(rows: 101, features: 5), [101, 5], "fc.npy")
        var small = ActivationFileAnalyzer(statistics: [.trc, .idim, .cov])
        small.chunkRows = 7
        let a = try small.analyze(path: path)
        let b = try ActivationFileAnalyzer(statistics: [.trc, .idim, .cov]).analyze(path: path)
        #expect(a.samples == 101 && b.samples == 101)
        #expect(a.statistics.values[.idim] == b.statistics.values[.idim])
        let trc = try #require(b.statistics.values[.trc])
        #expect(abs(try #require(a.statistics.values[.trc]) - trc) <= 1e-12 * trc)
        for (x, y) in zip(try #require(a.covariance), try #require(b.covariance)) { #expect(abs(x - y) <= 1e-10 * max(1, abs(y))) }
    }

    @Test func float64FilesKeepDoublePrecision() throws {
        // Values that float32 cannot tell apart: 1 + k·2⁻³⁰.
        let values = (0..<64).map { 1 + Double($0 % 8) * 0x1p-30 }
        let path = directory + "/precise.npy"
        try NPYWriter.write(values, shape: [32, 2], to: path)
        let result = try ActivationFileAnalyzer(statistics: [.trc]).analyze(path: path)
        #expect(try #require(result.statistics.values[.trc]) > 0)
    }

    @Test func convolutionAndSequenceFiles() throws {
        let conv = try write((0..<(4 * 3 * 2 * 2)).map { Float(($0 * 7) % 13) }, [4, 3, 2, 2], "conv.npy")
        let channelwise = try ActivationFileAnalyzer().analyze(path: conv)
        #expect(channelwise.kind == .convolution && channelwise.samples == 16 && channelwise.features == 3)
        let flat = try ActivationFileAnalyzer(layout: LayoutOptions(convMethod: .flatten)).analyze(path: conv)
        #expect(flat.samples == 4 && flat.features == 12)
        let sequence = try write((0..<(5 * 4 * 3)).map { Float(($0 * 5) % 11) }, [5, 4, 3], "lstm.npy")
        let last = try ActivationFileAnalyzer().analyze(path: sequence)
        #expect(last.kind == .sequence(batchFirst: true) && last.samples == 5 && last.features == 3)
        let steps = try ActivationFileAnalyzer(layout: LayoutOptions(timeseriesMethod: .timestepObservations)).analyze(path: sequence)
        #expect(steps.samples == 20 && steps.features == 3)
    }

    @Test func errorsNameTheFile() throws {
        let vector = try write([1, 2, 3], [3], "vector.npy")
        do {
            _ = try ActivationFileAnalyzer().analyze(path: vector)
            Issue.record("a 1-D file must be rejected")
        } catch {
            #expect(error.path == vector)
            #expect(error.description.contains("vector.npy") && error.description.contains("got shape [3]"))
        }
        let nan = try write([1, 2, .nan, 4, 5, 6], [3, 2], "nan.npy")
        do {
            _ = try ActivationFileAnalyzer().analyze(path: nan)
            Issue.record("NaN must be rejected")
        } catch {
            guard case .covariance = error else { Issue.record("expected a covariance error, got \(error)"); return }
            #expect(error.description.hasPrefix(nan) && error.description.contains("non-finite"))
        }
        let wide = try write([Float](repeating: 1, count: 2 * 3 * 4 * 4), [2, 3, 4, 4], "wide.npy")
        var limited = ActivationFileAnalyzer(layout: LayoutOptions(convMethod: .flatten))
        limited.maximumFeatures = 40
        do {
            _ = try limited.analyze(path: wide)
            Issue.record("48 features must exceed a limit of 40")
        } catch {
            guard case .tooManyFeatures(_, 48, 40) = error else { Issue.record("unexpected \(error)"); return }
        }
        do {
            _ = try ActivationFileAnalyzer().analyze(path: directory + "/absent.npy")
            Issue.record("a missing file must be rejected")
        } catch {
            guard case .npy = error else { Issue.record("unexpected \(error)"); return }
            #expect(error.description.contains("absent.npy"))
        }
    }

    @Test func layerNames() {
        #expect(ActivationFileAnalyzer.layerName(forPath: "/a/b/conv1.npy") == "conv1")
        #expect(ActivationFileAnalyzer.layerName(forPath: "fc.NPY") == "fc")
        #expect(ActivationFileAnalyzer.layerName(forPath: "data/raw") == "raw")
        #expect(ActivationFileAnalyzer.layerName(forPath: ".npy") == ".npy")
    }
}
