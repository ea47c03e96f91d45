import Foundation

/// Mean cross-entropy of `logits` `[N, C]` against class indices `labels` (N values in 0..<C):
/// −(1/N) Σₙ log softmax(logitsₙ)[labelₙ], with a numerically stable log-softmax
/// (PyTorch `F.cross_entropy`). The gradient is (softmax − one-hot)/N.
public func crossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
    require(logits.rank == 2, "crossEntropy: logits must be [N, C], got \(logits.shape)")
    let n = logits.shape[0], c = logits.shape[1]
    require(labels.count == n, "crossEntropy: \(labels.count) labels for \(n) rows of logits")
    require(n > 0 && c > 0, "crossEntropy: empty logits \(logits.shape)")
    for (i, l) in labels.enumerated() {
        require(l >= 0 && l < c, "crossEntropy: label \(l) of row \(i) is outside 0..<\(c)")
    }
    let p = logits.storage.pointer
    let probabilities = Tensor.empty(logits.shape)
    let pp = probabilities.storage.pointer
    var total: Double = 0
    for i in 0..<n {
        let row = p + i * c, out = pp + i * c
        var m = -Float.infinity
        for j in 0..<c { m = max(m, row[j]) }
        var s: Float = 0
        for j in 0..<c { let e = Foundation.exp(row[j] - m); out[j] = e; s += e }
        let inv = 1 / s
        for j in 0..<c { out[j] *= inv }
        total += Double(m + Foundation.log(s) - row[labels[i]])
    }
    let loss = Float(total / Double(n))
    return Tensor(shape: [], storage: TensorStorage([loss]), parents: [logits]) { [probabilities] g in
        let pp = probabilities.storage.pointer
        let scale = g.storage.pointer[0] / Float(n)
        let d = Tensor.empty(logits.shape)
        let pd = d.storage.pointer
        for i in 0..<n {
            for j in 0..<c { pd[i * c + j] = pp[i * c + j] * scale }
            pd[i * c + labels[i]] -= scale
        }
        return [d]
    }
}
