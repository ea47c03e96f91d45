import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("Comparison page")
struct ComparisonPageTests {
    static func run(_ name: String, saturations: [Double], accuracy: Double, parameters: Int, multiplyAdds: Int) -> ComparedRun {
        let layers = saturations.enumerated().map { i, s in
            LayerEpochValues(layer: "conv\(i + 1)", phase: .eval, features: 32, samples: 100, statistics: [.lsat: s])
        } + [LayerEpochValues(layer: "fc", phase: .eval, features: 10, samples: 100, statistics: [.lsat: 0.8])]
        return ComparedRun(name: name, summary: "a network", record: EpochRecord(epoch: 7, layers: layers),
                           ceilings: StructuralCeilings([("conv1", StructuralCeiling(dimensions: 9, reason: "1 input channel × 3×3 kernel"))]),
                           accuracy: accuracy, parameters: parameters, multiplyAdds: multiplyAdds, secondsPerEpoch: 1.25,
                           reportLink: "\(name)/report.html")
    }

    @Test("both runs' numbers, verdicts, ceiling marks and report links; the cost ratio in words")
    func page() {
        let deep = Self.run("deep", saturations: [0.27, 0.7, 0.8, 0.75, 0.1, 0.08], accuracy: 0.989, parameters: 65_898, multiplyAdds: 3_000_000)
        let small = Self.run("small", saturations: [0.27, 0.8, 0.9], accuracy: 0.983, parameters: 24_138, multiplyAdds: 750_000)
        let html = ComparisonPage.html(title: "Demo", runs: [deep, small])
        #expect(html.contains("<b>deep</b> costs <b>4.0×</b> the multiply-adds per sample of <b>small</b> and 2.7× its parameters, for a test accuracy of 98.9% against 98.3%."))
        #expect(html.contains("<td data-metric=\"multiply-adds\" data-run=\"deep\">3\u{2009}000\u{2009}000</td>"))
        #expect(html.contains("<td data-metric=\"parameters\" data-run=\"small\">24\u{2009}138</td>"))
        #expect(html.contains("<td data-metric=\"epoch-time\" data-run=\"small\">1.2 s</td>") || html.contains("<td data-metric=\"epoch-time\" data-run=\"small\">1.3 s</td>"))
        #expect(html.contains("<td data-metric=\"verdict\" data-run=\"deep\">tail pattern (2 layers)</td>"))
        #expect(html.contains("<td data-metric=\"verdict\" data-run=\"small\">no tail pattern</td>"))
        #expect(html.contains("href=\"deep/report.html\"") && html.contains("href=\"small/report.html\""))
        #expect(html.components(separatedBy: "<svg").count == 3)
        #expect(!html.contains("<script"))
        #expect(html.contains("structural ceiling"))
    }
}
