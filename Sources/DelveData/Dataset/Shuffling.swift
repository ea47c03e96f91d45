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

    /// A random permutation of `0..<count` that depends only on `seed`.
    public static func permutation(count: Int, seed: UInt64) -> [Int] {
        var generator = SplitMix64(seed: seed)
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

/// SplitMix64 (Steele, Lea & Flood 2014): the small seeded generator behind `Shuffling.permutation(count:seed:)`.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
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
