/// Per-channel mean and standard deviation of a dataset, computed on the training set and applied to
/// both training and test sets (`x' = (x − mean_c) / std_c`).
///
/// A channel is the first dimension of `sampleShape` (C of C×H×W); for feature vectors (`[D]`) every
/// feature is its own channel. Statistics are accumulated in float64; the standard deviation is the
/// population one (divisor N). A channel whose standard deviation is below `1e-6` (constant, such as
/// the always-blank border pixels of the digits) is only centred (its std is stored as 1), so no NaN or
/// infinity can appear.
public struct ChannelStatistics: Sendable, Equatable {
    /// The mean of each channel.
    public var mean: [Float]
    /// The standard deviation of each channel (1 for a constant channel).
    public var std: [Float]

    /// Creates statistics from explicit values.
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Computes the per-channel mean and standard deviation of `data`.
    public init(fitting data: LabeledImages) {
        let channels = data.sampleShape[0]
        let perChannel = data.sampleSize / channels
        var sum = [Double](repeating: 0, count: channels)
        var sumSquares = [Double](repeating: 0, count: channels)
        data.pixels.withUnsafeBufferPointer { values in
            for sample in 0 ..< data.count {
                for channel in 0 ..< channels {
                    let base = (sample * channels + channel) * perChannel
                    var s = 0.0, q = 0.0
                    for i in 0 ..< perChannel {
                        let x = Double(values[base + i])
                        s += x
                        q += x * x
                    }
                    sum[channel] += s
                    sumSquares[channel] += q
                }
            }
        }
        let n = Double(max(1, data.count * perChannel))
        mean = sum.map { Float($0 / n) }
        std = (0 ..< channels).map { c in
            let m = sum[c] / n
            let variance = max(0, sumSquares[c] / n - m * m)
            let s = variance.squareRoot()
            return s < 1e-6 ? 1 : Float(s)
        }
    }
}

extension LabeledImages {
    /// Maps the raw values linearly onto [0, 1] using `valueRange` (e.g. divides MNIST pixels by 255);
    /// when `valueRange` is `nil` the observed minimum and maximum are used. A degenerate range leaves
    /// the values shifted to 0.
    public func scaledToUnitInterval() -> LabeledImages {
        let range = valueRange ?? observedRange()
        let low = range.lowerBound
        let width = range.upperBound - range.lowerBound
        let scale: Float = width > 0 ? 1 / width : 0
        var result = self
        result.pixels = pixels.map { ($0 - low) * scale }
        result.valueRange = 0 ... 1
        return result
    }

    /// Standardizes every channel with `statistics` (normally fitted on the training set).
    public func standardized(_ statistics: ChannelStatistics) throws(DatasetError) -> LabeledImages {
        let channels = sampleShape[0]
        guard statistics.mean.count == channels, statistics.std.count == channels else {
            throw .invalidArgument("standardized: statistics for \(statistics.mean.count) channels, the data have \(channels)")
        }
        let perChannel = sampleSize / channels
        var result = self
        result.pixels.withUnsafeMutableBufferPointer { values in
            for sample in 0 ..< count {
                for channel in 0 ..< channels {
                    let base = (sample * channels + channel) * perChannel
                    let m = statistics.mean[channel], inverse = 1 / statistics.std[channel]
                    for i in 0 ..< perChannel { values[base + i] = (values[base + i] - m) * inverse }
                }
            }
        }
        result.valueRange = nil
        return result
    }

    /// The smallest and largest value present (`0...0` for an empty dataset).
    public func observedRange() -> ClosedRange<Float> {
        guard var low = pixels.first else { return 0 ... 0 }
        var high = low
        for x in pixels {
            low = min(low, x)
            high = max(high, x)
        }
        return low ... high
    }
}
