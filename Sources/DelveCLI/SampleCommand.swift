import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs
import Foundation

/// `delve sample DIR` (hidden): writes synthetic layer activations with exactly known spectra, for the
/// demo and the end-to-end tests.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write synthetic .npy layer activations with known spectra (for the demo and tests).",
        shouldDisplay: false
    )

    @Argument(help: "The directory to write into (created if missing).")
    var directory: String

    @Option(help: "The random seed.")
    var seed: UInt64 = 42

    func run() throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            printError("error: \(directory): cannot create the directory: \(error.localizedDescription)")
            throw ExitCode(1)
        }
        var random = SplitMix64(seed: seed)
        for layer in SyntheticLayer.all {
            let path = directory + "/" + layer.name + ".npy"
            do {
                try NPYWriter.write(layer.generate(&random), shape: layer.shape, to: path)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            print("\(path)  \(layer.shape.map(String.init).joined(separator: "×"))  \(layer.explanation)")
        }
    }
}

/// A synthetic layer whose covariance has exactly the given nonzero eigenvalues.
struct SyntheticLayer {
    let name: String
    let shape: [Int]
    /// The nonzero eigenvalues of the covariance of the observations the default layout produces.
    let variances: [Double]
    let explanation: String

    static let all: [SyntheticLayer] = [
        SyntheticLayer(name: "fc1_bottleneck", shape: [1000, 32], variances: [9, 4, 1],
                       explanation: "dense, 3 directions carry all variance: idim 3, lsat 3/32 = 0.0938"),
        SyntheticLayer(name: "fc2_decaying", shape: [1000, 24], variances: (0..<24).map { pow(0.5, Double($0)) },
                       explanation: "dense, eigenvalues 1, 1/2, 1/4, …: 7 explain 99.2 %, idim 7, lsat 7/24 = 0.2917"),
        SyntheticLayer(name: "fc3_uniform", shape: [1000, 16], variances: [Double](repeating: 1, count: 16),
                       explanation: "dense, 16 equal eigenvalues: every direction is needed, idim 16, lsat 1"),
        SyntheticLayer(name: "conv1", shape: [32, 8, 4, 4], variances: [4, 1],
                       explanation: "convolution N×C×H×W, channelwise 512 observations of 8 channels of rank 2: idim 2, lsat 0.25"),
        SyntheticLayer(name: "lstm1", shape: [200, 6, 10], variances: [8, 4, 2, 1],
                       explanation: "sequence N×T×F, last timestep of rank 4: idim 4, lsat 0.4"),
    ]

    /// The values in C order.
    func generate(_ random: inout SplitMix64) -> [Float] {
        switch shape.count {
        case 2:
            return Self.observations(rows: shape[0], features: shape[1], variances: variances, &random)
        case 4:
            // Observation (n, s) of the channelwise layout is row n·H·W + s of a (N·H·W)×C matrix.
            let (n, c, spatial) = (shape[0], shape[1], shape[2] * shape[3])
            let rows = Self.observations(rows: n * spatial, features: c, variances: variances, &random)
            var out = [Float](repeating: 0, count: n * c * spatial)
            for sample in 0..<n {
                for channel in 0..<c {
                    for s in 0..<spatial { out[(sample * c + channel) * spatial + s] = rows[(sample * spatial + s) * c + channel] }
                }
            }
            return out
        default:
            // N×T×F: noise in the earlier timesteps, the known spectrum in the last one.
            let (n, t, f) = (shape[0], shape[1], shape[2])
            let last = Self.observations(rows: n, features: f, variances: variances, &random)
            var out = [Float](repeating: 0, count: n * t * f)
            for sample in 0..<n {
                for step in 0..<t {
                    for feature in 0..<f {
                        out[(sample * t + step) * f + feature] = step == t - 1
                            ? last[sample * f + feature] : Float(random.normal())
                    }
                }
            }
            return out
        }
    }

    /// `rows`×`features` observations whose population covariance has exactly `variances` as its
    /// nonzero eigenvalues: Z·Q + μ, where Z's k columns are centred, mutually orthogonal and scaled to
    /// variance λⱼ, and Q's k rows are orthonormal directions in feature space.
    static func observations(rows: Int, features: Int, variances: [Double], _ random: inout SplitMix64) -> [Float] {
        let k = variances.count
        var latent = orthonormalColumns(rows: rows, count: k, centred: true, &random)
        for j in 0..<k {
            let scale = (Double(rows) * variances[j]).squareRoot()
            for i in 0..<rows { latent[j][i] *= scale }
        }
        let directions = orthonormalColumns(rows: features, count: k, centred: false, &random)
        let offsets = (0..<features).map { _ in random.normal() }
        var out = [Float](repeating: 0, count: rows * features)
        for i in 0..<rows {
            for d in 0..<features {
                var sum = offsets[d]
                for j in 0..<k { sum += latent[j][i] * directions[j][d] }
                out[i * features + d] = Float(sum)
            }
        }
        return out
    }

    /// `count` random orthonormal vectors of length `rows` (centred first when asked), by
    /// Gram–Schmidt with re-orthogonalization.
    static func orthonormalColumns(rows: Int, count: Int, centred: Bool, _ random: inout SplitMix64) -> [[Double]] {
        var columns: [[Double]] = []
        for _ in 0..<count {
            var v = (0..<rows).map { _ in random.normal() }
            if centred {
                let mean = v.reduce(0, +) / Double(rows)
                for i in 0..<rows { v[i] -= mean }
            }
            for _ in 0..<2 {
                for u in columns {
                    let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
                    for i in 0..<rows { v[i] -= dot * u[i] }
                }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            columns.append(v.map { $0 / norm })
        }
        return columns
    }
}

/// A small, fast, seedable random number generator (SplitMix64) with standard normal samples.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    mutating func normal() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
