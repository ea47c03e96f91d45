import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("pca-eval.csv, its plot and report section")
struct PCAEvaluationFileTests {
    static let table = PCAEvaluation(
        layers: ["features.0", "classifier"], features: [32, 10],
        rows: [.init(delta: 0.9, accuracy: 0.875, loss: 0.5, kept: [3, 2]),
               .init(delta: 0.99, accuracy: 0.9375, loss: 0.25, kept: [12, 6]),
               .init(delta: 1, accuracy: 0.96875, loss: 0.125, kept: [32, 10])])

    @Test("the CSV text is the documented wide form and reads back equal")
    func roundTrip() throws {
        let text = Self.table.csvText
        #expect(text == """
            delta,accuracy,loss,features.0-kept,classifier-kept,features.0-features,classifier-features
            0.9,0.875,0.5,3,2,32,10
            0.99,0.9375,0.25,12,6,32,10
            1.0,0.96875,0.125,32,10,32,10

            """)
        #expect(try PCAEvaluation.parse(text, path: "p.csv") == Self.table)
        let autoencoder = PCAEvaluation(layers: ["0"], features: [4], rows: [.init(delta: 0.5, accuracy: nil, loss: 0.01, kept: [1])])
        #expect(autoencoder.csvText == "delta,accuracy,loss,0-kept,0-features\n0.5,,0.01,1,4\n")
        #expect(try PCAEvaluation.parse(autoencoder.csvText, path: "p.csv") == autoencoder)
    }

    @Test("with the random-directions control: two more columns after loss, read back equal; plot and report show it")
    func randomControl() throws {
        let table = PCAEvaluation(
            layers: ["fc"], features: [8],
            rows: [.init(delta: 0.9, accuracy: 0.75, loss: 0.5, kept: [2], randomAccuracy: 0.25, randomLoss: 2),
                   .init(delta: 1, accuracy: 0.875, loss: 0.25, kept: [8], randomAccuracy: 0.875, randomLoss: 0.25)])
        #expect(table.hasRandomControl && !Self.table.hasRandomControl)
        #expect(table.csvText == "delta,accuracy,loss,random-accuracy,random-loss,fc-kept,fc-features\n0.9,0.75,0.5,0.25,2.0,2,8\n1.0,0.875,0.25,0.875,0.25,8,8\n")
        #expect(try PCAEvaluation.parse(table.csvText, path: "p.csv") == table)
        let autoencoder = PCAEvaluation(layers: ["0"], features: [4],
                                        rows: [.init(delta: 0.5, accuracy: nil, loss: 0.01, kept: [1], randomLoss: 0.5)])
        #expect(autoencoder.csvText == "delta,accuracy,loss,random-accuracy,random-loss,0-kept,0-features\n0.5,,0.01,,0.5,1,4\n")
        #expect(try PCAEvaluation.parse(autoencoder.csvText, path: "p.csv") == autoencoder)
        #expect(throws: WriterError.self) {
            _ = try PCAEvaluation.parse("delta,accuracy,loss,random-accuracy,random-loss,fc-kept,fc-features\n0.9,0.75,0.5,0.25,,2,8\n", path: "p.csv")
        }
        let svg = SVGRenderer.render(PCAEvaluationPlot.figure(table))
        #expect(svg.contains("random directions"))
        #expect(!SVGRenderer.render(PCAEvaluationPlot.figure(Self.table)).contains("random directions"))
        let page = ReportPage.pcaEvaluationSection(table, baseline: nil)
        #expect(page.contains("<th>random: accuracy</th><th>random: loss</th>"))
        #expect(page.contains("<tr><td>0.9</td><td>0.75</td><td>0.5</td><td>0.25</td><td>2.0</td><td>2 of 8</td></tr>"))
    }

    @Test("a malformed file is an error naming the file and the line")
    func malformed() {
        let cases: [(String, Int)] = [
            ("delta,loss\n", 1),
            ("delta,accuracy,loss,a-kept,b-features\n", 1),
            ("delta,accuracy,loss,a-kept,a-features\n0.9,0.5,0.1,3\n", 2),
            ("delta,accuracy,loss,a-kept,a-features\n0.9,0.5,0.1,3,4\nx,0.5,0.1,3,4\n", 3),
            ("delta,accuracy,loss,a-kept,a-features\n0.9,0.5,0.1,3.5,4\n", 2),
            ("delta,accuracy,loss,a-kept,a-features\n0.9,0.5,0.1,3,4\n0.99,0.5,0.1,3,5\n", 3),
        ]
        for (text, line) in cases {
            do {
                _ = try PCAEvaluation.parse(text, path: "/run/pca-eval.csv")
                Issue.record("accepted \(text)")
            } catch {
                guard case .malformed(let path, let at, _) = error else { Issue.record("\(error)"); continue }
                #expect(path == "/run/pca-eval.csv")
                #expect(at == line, "\(text)")
            }
        }
    }

    @Test("write puts the CSV and the plot in the run; the report shows the section only when the file exists")
    func writeAndReport() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        try SampleRun.write(to: run, epochs: 2, kinds: [.jsonl, .report])
        #expect(try PCAEvaluation.read(from: run) == nil)
        #expect(!(try String(contentsOf: run.reportURL, encoding: .utf8)).contains("PCA evaluation"))
        try Self.table.write(to: run)
        #expect(try PCAEvaluation.read(from: run) == Self.table)
        let svg = try String(contentsOf: run.plotsDirectory.appendingPathComponent("pca-eval.svg"), encoding: .utf8)
        #expect(svg.contains("PCA evaluation") && svg.contains("features.0 k/D"))
        let png = try Data(contentsOf: run.plotsDirectory.appendingPathComponent("pca-eval.png"))
        #expect(Array(png.prefix(8)) == PNGEncoder.signature)
        try ReportWriter.regenerate(run: run)
        let page = try String(contentsOf: run.reportURL, encoding: .utf8)
        #expect(page.contains("<h2>PCA evaluation</h2>"))
        #expect(page.contains("<tr><td>0.99</td><td>0.9375</td><td>0.25</td><td>12 of 32</td><td>6 of 10</td></tr>"))
        #expect(page.contains("<th>features.0</th><th>classifier</th>"))
        PCAEvaluation.removeFiles(from: run)
        #expect(try PCAEvaluation.read(from: run) == nil)
        #expect(!FileManager.default.fileExists(atPath: run.plotsDirectory.appendingPathComponent("pca-eval.png").path))
    }
}
