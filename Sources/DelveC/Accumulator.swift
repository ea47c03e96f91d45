import Delve

// The accumulator half of include/delve.h. A `delve_accumulator *` is a retained CovarianceAccumulator.

/// The most features an accumulator may have through the C interface (its co-moment is 8·D² bytes).
let maxFeatures: Int64 = 65_536

func accumulator(_ handle: OpaquePointer?) throws(CFailure) -> CovarianceAccumulator {
    let pointer = try required(handle, "accumulator")
    return Unmanaged<CovarianceAccumulator>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

func makeHandle(_ accumulator: CovarianceAccumulator) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(accumulator).toOpaque())
}

@_cdecl("delve_accumulator_create")
public func delve_accumulator_create(_ features: Int64, _ name: UnsafePointer<CChar>?, _ precisionValue: Int32,
                                     _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded {
        let out = try required(out, "out")
        guard features >= 0, features <= maxFeatures else {
            throw CFailure(.argument, "features must be in 0…\(maxFeatures), got \(features)")
        }
        let label = name.map { String(cString: $0) } ?? ""
        let mode = try parsePrecision(precisionValue)
        out.pointee = makeHandle(CovarianceAccumulator(features: Int(features), name: label, precision: mode))
    }
}

@_cdecl("delve_accumulator_free")
public func delve_accumulator_free(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<CovarianceAccumulator>.fromOpaque(UnsafeRawPointer(handle)).release()
}

@_cdecl("delve_accumulator_features")
public func delve_accumulator_features(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        try required(out, "features").pointee = Int64(a.features)
    }
}

@_cdecl("delve_accumulator_count")
public func delve_accumulator_count(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        try required(out, "count").pointee = Int64(a.count)
    }
}

@_cdecl("delve_accumulator_update")
public func delve_accumulator_update(_ handle: OpaquePointer?, _ data: UnsafeRawPointer?, _ dtype: Int32,
                                     _ rows: Int64, _ features: Int64) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        let wide = try isFloat64(dtype)
        let n = try nonNegative(rows, "rows")
        let d = try nonNegative(features, "features")
        guard d == a.features else {
            throw CFailure(.argument, "accumulator '\(a.name)': the batch has \(d) features, the accumulator \(a.features)")
        }
        let count = try product([n, d], "rows × features")
        if count == 0 { try a.update(UnsafeBufferPointer<Double>(start: nil, count: 0), rows: n); return }
        let base = try required(data, "data")
        if wide {
            try a.update(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Double.self), count: count), rows: n)
        } else {
            try a.update(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: count), rows: n)
        }
    }
}

@_cdecl("delve_accumulator_update_channelwise")
public func delve_accumulator_update_channelwise(_ handle: OpaquePointer?, _ data: UnsafeRawPointer?, _ dtype: Int32,
                                                 _ batch: Int64, _ channels: Int64, _ spatial: Int64) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        let wide = try isFloat64(dtype)
        let n = try nonNegative(batch, "batch"), c = try nonNegative(channels, "channels")
        let s = try nonNegative(spatial, "spatial")
        guard c == a.features else {
            throw CFailure(.argument, "accumulator '\(a.name)': the batch has \(c) channels, the accumulator \(a.features) features")
        }
        let count = try product([n, c, s], "batch × channels × spatial")
        if count == 0 { return }
        let base = try required(data, "data")
        if wide {
            // (N·S)×C float64 rows: a transposed copy keeps every digit.
            let source = base.assumingMemoryBound(to: Double.self)
            var rows = [Double](repeating: 0, count: count)
            for sample in 0..<n {
                for channel in 0..<c {
                    let from = (sample * c + channel) * s
                    for position in 0..<s { rows[(sample * s + position) * c + channel] = source[from + position] }
                }
            }
            try a.update(rows, rows: n * s)
        } else {
            try a.updateChannelwise(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: count),
                                    batch: n, channels: c, spatial: s)
        }
    }
}

@_cdecl("delve_accumulator_merge")
public func delve_accumulator_merge(_ handle: OpaquePointer?, _ other: OpaquePointer?) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        let b = try accumulator(other)
        try a.merge(b)
    }
}

@_cdecl("delve_accumulator_merge_moments")
public func delve_accumulator_merge_moments(_ handle: OpaquePointer?, _ count: Int64, _ mean: UnsafePointer<Double>?,
                                            _ comoment: UnsafePointer<Double>?) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        let n = try nonNegative(count, "count")
        let d = a.features
        if d == 0 { try a.merge(count: n, mean: .init(start: nil, count: 0), comoment: .init(start: nil, count: 0)); return }
        let m = try required(mean, "mean"), c = try required(comoment, "comoment")
        try a.merge(count: n, mean: UnsafeBufferPointer(start: m, count: d),
                    comoment: UnsafeBufferPointer(start: c, count: d * d))
    }
}

@_cdecl("delve_accumulator_reset")
public func delve_accumulator_reset(_ handle: OpaquePointer?) -> Int32 {
    guarded { try accumulator(handle).reset() }
}

@_cdecl("delve_accumulator_mean")
public func delve_accumulator_mean(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ capacity: Int64) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        try copy(a.mean, to: out, capacity: capacity, "the mean")
    }
}

@_cdecl("delve_accumulator_covariance")
public func delve_accumulator_covariance(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?,
                                         _ capacity: Int64) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        guard capacity >= Int64(a.features) * Int64(a.features) else {
            throw CFailure(.buffer, "the covariance needs \(a.features * a.features) doubles, the buffer holds \(capacity)")
        }
        try copy(a.covariance(), to: out, capacity: capacity, "the covariance")
    }
}

@_cdecl("delve_accumulator_serialize")
public func delve_accumulator_serialize(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                                        _ size: UnsafeMutablePointer<Int>?) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        let size = try required(size, "size")
        let bytes = a.serialized()
        size.pointee = bytes.count
        guard let out else { return }
        guard capacity >= bytes.count else {
            throw CFailure(.buffer, "the serialized state needs \(bytes.count) bytes, the buffer holds \(capacity)")
        }
        bytes.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: bytes.count) }
    }
}

@_cdecl("delve_accumulator_deserialize")
public func delve_accumulator_deserialize(_ bytes: UnsafePointer<UInt8>?, _ size: Int,
                                          _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded {
        let out = try required(out, "out")
        guard size >= 0 else { throw CFailure(.argument, "size must be ≥ 0, got \(size)") }
        var data: [UInt8] = []
        if size > 0 { data = Array(UnsafeBufferPointer(start: try required(bytes, "bytes"), count: size)) }
        if data.count >= 40 {   // bound D before the state is allocated (the format stores it at offset 32)
            var d: Int64 = 0
            for k in 0..<8 { d |= Int64(data[32 + k]) << (8 * Int64(k)) }
            guard d >= 0, d <= maxFeatures else {
                throw CFailure(.state, "<bytes>: not a valid Delve covariance state: \(d) features (at most \(maxFeatures))")
            }
        }
        out.pointee = makeHandle(try CovarianceAccumulator(serialized: data, source: "<bytes>"))
    }
}

/// The statistic named `name` (a scalar one).
func scalarStatistic(_ name: String) throws(CFailure) -> Statistic {
    guard let statistic = Statistic(rawValue: name), statistic.isScalar, statistic.isSpectral else {
        let names = Statistic.spectral.filter(\.isScalar).map(\.rawValue).joined(separator: ", ")
        throw CFailure(.argument, "unknown statistic '\(name)'; expected one of: \(names)")
    }
    return statistic
}

@_cdecl("delve_accumulator_statistic")
public func delve_accumulator_statistic(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ delta: Double,
                                        _ idim: Int32, _ value: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        let statistic = try scalarStatistic(try string(name, "name"))
        let options = StatisticsOptions(statistics: [statistic], threshold: try parseThreshold(delta),
                                        convention: try parseConvention(idim))
        let value = try required(value, "value")
        let analysis = try a.analysis(options)
        guard let result = analysis.statistics[statistic] else {
            throw CFailure(.state, "accumulator '\(a.name)': \(name.map { String(cString: $0) } ?? "") is undefined: "
                + analysis.statistics.notes.joined(separator: "; "))
        }
        value.pointee = result
    }
}

@_cdecl("delve_accumulator_eigenvalues")
public func delve_accumulator_eigenvalues(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?,
                                          _ capacity: Int64) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        guard capacity >= Int64(a.features) else {
            throw CFailure(.buffer, "the eigenvalues need \(a.features) doubles, the buffer holds \(capacity)")
        }
        let analysis = try a.analysis(StatisticsOptions(), keepEigenvalues: true)
        try copy(analysis.eigenvalues ?? [], to: out, capacity: capacity, "the eigenvalues")
    }
}
