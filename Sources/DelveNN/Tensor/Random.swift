import Foundation

/// A small, fast, seedable pseudo-random generator (xoshiro256** seeded through SplitMix64).
///
/// Two generators built with the same seed produce the same sequence on every platform, which is what
/// makes seeded initialization, shuffling and dropout reproducible bit for bit.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Creates a generator whose whole state is derived from `seed` with SplitMix64.
    public init(seed: UInt64) {
        var x = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&x); s1 = splitMix(&x); s2 = splitMix(&x); s3 = splitMix(&x)
    }

    /// The generator's complete state (the four xoshiro256** words), e.g. for a training checkpoint;
    /// ``init(state:)`` continues the same stream.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// Continues the stream of a generator whose ``state`` was saved; nil unless `state` has exactly
    /// four words that are not all zero (the all-zero state is not a valid xoshiro256** state).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3]
    }

    /// The next 64 random bits (xoshiro256**).
    @inlinable public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform `Float` in [0, 1) built from the top 24 bits.
    @inlinable public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }
}

/// The default generator used by layer constructors and `Dropout` when no generator is passed
/// (the analogue of `torch.manual_seed`). It is per thread, so parallel tests do not disturb each other.
public enum RandomState {
    final class Box { var generator = SeededGenerator(seed: 0) }
    static let perThread = ThreadLocal(key: "DelveNN.RandomState") { Box() }

    static var box: Box { perThread.value }

    /// Reseeds this thread's default generator.
    public static func manualSeed(_ seed: UInt64) { box.generator = SeededGenerator(seed: seed) }

    /// Runs `body` with this thread's default generator and keeps the advanced state.
    public static func withGenerator<R>(_ body: (inout SeededGenerator) throws -> R) rethrows -> R {
        let box = self.box
        return try body(&box.generator)
    }

    /// Draws a fresh seed from the default generator (used to give a module its own stream).
    public static func nextSeed() -> UInt64 { withGenerator { $0.next() } }
}
