import Delve

extension ReportPage {
    /// The report's PCA evaluation section (`delve train --pca-eval`): the plot, and per δ the test
    /// accuracy and loss with each layer's kept directions k of D; empty without an evaluation.
    /// `baseline` is the last epoch's unprojected test accuracy and loss, when recorded.
    static func pcaEvaluationSection(_ evaluation: PCAEvaluation?, baseline last: EpochRecord?) -> String {
        guard let evaluation, !evaluation.rows.isEmpty else { return "" }
        let figure = PCAEvaluationPlot.figure(evaluation)
        var h = "<section><h2>PCA evaluation</h2>\n<figure>" + SVGRenderer.render(figure, standalone: false) + "</figure>\n"
        h += "<p>The trained model evaluated on the test set with every listed layer's output projected onto the "
            + "leading eigenvectors of its last epoch's train covariance that explain δ of the variance, around its mean "
            + "(Delve's PCA layers); k of D directions kept. Values in <a href=\"pca-eval.csv\">pca-eval.csv</a>.</p>\n"
        let control = evaluation.hasRandomControl
        if control {
            h += "<p>Control: the same k per layer, but k random orthonormal directions instead of the leading "
                + "eigenvectors. Where the eigenvectors keep the accuracy and random directions do not, the "
                + "spectrum found the directions the network uses.</p>\n"
        }
        h += "<table>\n<tr><th>δ</th><th>test accuracy</th><th>test loss</th>"
        if control { h += "<th>random: accuracy</th><th>random: loss</th>" }
        h += evaluation.layers.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        let scalars = Dictionary(last?.scalars.map { ($0.name, $0.value) } ?? [], uniquingKeysWith: { a, _ in a })
        if let loss = scalars["test-loss"] {
            let accuracy = scalars["test-accuracy"].map { escape(delveNumberText($0)) } ?? ""
            h += "<tr><td>unprojected</td><td>\(accuracy)</td><td>\(escape(delveNumberText(loss)))</td>"
            if control { h += "<td></td><td></td>" }
            h += evaluation.features.map { "<td>\($0) of \($0)</td>" }.joined() + "</tr>\n"
        }
        for row in evaluation.rows {
            h += "<tr><td>\(escape(delveNumberText(row.delta)))</td><td>\(row.accuracy.map { escape(delveNumberText($0)) } ?? "")</td>"
            h += "<td>\(escape(delveNumberText(row.loss)))</td>"
            if control {
                h += "<td>\(row.randomAccuracy.map { escape(delveNumberText($0)) } ?? "")</td>"
                h += "<td>\(row.randomLoss.map { escape(delveNumberText($0)) } ?? "")</td>"
            }
            h += zip(row.kept, evaluation.features).map { "<td>\($0) of \($1)</td>" }.joined() + "</tr>\n"
        }
        return h + "</table></section>\n"
    }
}
