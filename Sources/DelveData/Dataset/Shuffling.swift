import DelveNN

/// Reproducible random permutations (Fisher–Yates with an unbiased bounded draw), independent of the
/// standard library's `shuffle`, whose algorithm is not guaranteed to stay the same across releases.
public enum Shuffling {
    /// A random permutation of `0..<count` drawn from `generator`.
    public static func permutation(count: Int, using generator: inout some RandomNumberGenerator) -> [Int] {
        var order = Array(0 ..< max(0, count))
        var i = order.count - 1
        while i > 0 {
            let j = uniformIndex(below: i + 1, using: &generator)
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }

    /// A random permutation of `0..<count` that depends only on `seed` (drawn from DelveNN's
    /// `SeededGenerator`, the generator behind every seeded operation of Delve).
    public static func permutation(count: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        return permutation(count: count, using: &generator)
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift with rejection, so unbiased).
    static func uniformIndex(below bound: Int, using generator: inout some RandomNumberGenerator) -> Int {
        let n = UInt64(bound)
        let threshold = (0 &- n) % n
        while true {
            let product = generator.next().multipliedFullWidth(by: n)
            if product.low >= threshold { return Int(product.high) }
        }
    }
}

extension LabeledImages {
    /// The samples in a random order that depends only on `seed`.
    public func shuffled(seed: UInt64) -> LabeledImages {
        subset(Shuffling.permutation(count: count, seed: seed))
    }

    /// The samples in a random order drawn from `generator`.
    public func shuffled(using generator: inout some RandomNumberGenerator) -> LabeledImages {
        subset(Shuffling.permutation(count: count, using: &generator))
    }
}
