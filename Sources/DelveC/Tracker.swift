import Delve
import DelveOutputs
import Foundation

// The tracker half of include/delve.h. A `delve_tracker *` is a retained TrackerHandle.

/// `delve_tracker_options`, field for field (C layout: natural alignment, declaration order; the C test
/// checks the offsets).
struct CTrackerOptions {
    var structSize: UInt32
    var runDirectory: UnsafePointer<CChar>?
    var writers: UnsafePointer<CChar>?
    var statistics: UnsafePointer<CChar>?
    var threshold: Double
    var convMethod: UnsafePointer<CChar>?
    var timeseriesMethod: UnsafePointer<CChar>?
    var downsample: Int64
    var convention: Int32
    var precision: Int32
    var logInterval: Int64
    var maxSamples: Int64
    var resetCovariance: Int32
    var averageSaturation: Int32
    var initialEpoch: Int64
    var badBatchPolicy: Int32
    var keepSpectra: Int32
    var probes: Int32
    var probeRidge: Double
}

/// A tracker, the writers of its run directory and the record of the last epoch end.
final class TrackerHandle: @unchecked Sendable {   // `last` and `closed` are guarded by `lock`
    let tracker: SaturationTracker
    let writers: RunWriters?
    let lock = NSLock()
    var last: EpochRecord?
    var closed = false

    init(tracker: SaturationTracker, writers: RunWriters?) {
        self.tracker = tracker
        self.writers = writers
    }

    deinit { if !closed { try? close() } }

    func close() throws {
        let wasClosed = lock.withLock { () -> Bool in
            let was = closed
            closed = true
            return was
        }
        if wasClosed { return }
        try tracker.close()
        try writers?.close()
    }
}

func tracker(_ handle: OpaquePointer?) throws(CFailure) -> TrackerHandle {
    let pointer = try required(handle, "tracker")
    return Unmanaged<TrackerHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

/// The last epoch's record, or a state failure before the first epoch end.
func lastRecord(_ handle: TrackerHandle) throws(CFailure) -> EpochRecord {
    guard let record = handle.lock.withLock({ handle.last }) else {
        throw CFailure(.state, "no epoch has ended yet")
    }
    return record
}

@_cdecl("delve_tracker_options_init")
public func delve_tracker_options_init(_ options: UnsafeMutableRawPointer?) -> Int32 {
    guarded {
        let options = try required(options, "options").assumingMemoryBound(to: CTrackerOptions.self)
        options.pointee = CTrackerOptions(
            structSize: UInt32(MemoryLayout<CTrackerOptions>.size), runDirectory: nil, writers: nil, statistics: nil,
            threshold: 0.99, convMethod: nil, timeseriesMethod: nil, downsample: 0, convention: 0, precision: 0,
            logInterval: 1, maxSamples: 0, resetCovariance: 1, averageSaturation: 1, initialEpoch: 0,
            badBatchPolicy: 0, keepSpectra: 1, probes: 0, probeRidge: 0)
    }
}

/// Tracker options and writer names from the C struct, every field checked.
func parseTrackerOptions(_ c: CTrackerOptions) throws -> (TrackerOptions, [WriterKind]) {
    guard Int(c.structSize) == MemoryLayout<CTrackerOptions>.size else {
        throw CFailure(.argument, "options.struct_size is \(c.structSize), this library's delve_tracker_options has "
            + "\(MemoryLayout<CTrackerOptions>.size) bytes: fill it with delve_tracker_options_init")
    }
    var options = TrackerOptions()
    let statistics = c.statistics.map { String(cString: $0) } ?? "lsat"
    do {
        options.statisticsOptions = try StatisticsOptions(parsing: statistics, threshold: c.threshold,
                                                          convention: try parseConvention(c.convention))
    } catch let error as StatisticsOptionsError {
        throw CFailure(.argument, "statistics: \(error)")
    }
    let conv = c.convMethod.map { String(cString: $0) } ?? "channelwise"
    guard let convMethod = ConvMethod(rawValue: conv) else {
        throw CFailure(.argument, "unknown conv_method '\(conv)'; expected one of: "
            + ConvMethod.allCases.map(\.rawValue).joined(separator: ", "))
    }
    let series = c.timeseriesMethod.map { String(cString: $0) } ?? "last"
    guard let timeseriesMethod = TimeseriesMethod(rawValue: series) else {
        throw CFailure(.argument, "unknown timeseries_method '\(series)'; expected one of: "
            + TimeseriesMethod.allCases.map(\.rawValue).joined(separator: ", ")
            + " (timestepwise: the deprecated name of timestep-observations)")
    }
    guard c.downsample >= 0 else { throw CFailure(.argument, "downsample must be ≥ 0 (0: never), got \(c.downsample)") }
    options.layout = LayoutOptions(convMethod: convMethod, timeseriesMethod: timeseriesMethod,
                                   downsample: c.downsample == 0 ? nil : Int(c.downsample))
    options.precision = try parsePrecision(c.precision)
    guard c.logInterval >= 1 else { throw CFailure(.argument, "log_interval must be ≥ 1, got \(c.logInterval)") }
    options.logInterval = Int(c.logInterval)
    guard c.maxSamples >= 0 else { throw CFailure(.argument, "max_samples must be ≥ 0 (0: all), got \(c.maxSamples)") }
    options.maxSamples = c.maxSamples == 0 ? nil : Int(c.maxSamples)
    options.resetCovariance = c.resetCovariance != 0
    options.averageSaturation = c.averageSaturation != 0
    guard c.initialEpoch >= 0 else { throw CFailure(.argument, "initial_epoch must be ≥ 0, got \(c.initialEpoch)") }
    options.initialEpoch = Int(c.initialEpoch)
    switch c.badBatchPolicy {
    case 0: options.badBatchPolicy = .fail
    case 1: options.badBatchPolicy = .skip
    default: throw CFailure(.argument, "bad_batch_policy must be DELVE_BAD_BATCH_FAIL (0) or DELVE_BAD_BATCH_SKIP (1), got \(c.badBatchPolicy)")
    }
    options.keepSpectra = c.keepSpectra != 0
    options.probes = try parseProbeOptions(c)
    let kinds = try c.writers.map { try WriterKind.parseList(String(cString: $0)) } ?? []
    return (options, kinds)
}

@_cdecl("delve_tracker_create")
public func delve_tracker_create(_ options: UnsafeRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded {
        let out = try required(out, "out")
        let raw = try required(options, "options")
        // Read the size first: a caller's struct of another size must not be read whole.
        guard Int(raw.load(as: UInt32.self)) == MemoryLayout<CTrackerOptions>.size else {
            throw CFailure(.argument, "options.struct_size is \(raw.load(as: UInt32.self)), this library's "
                + "delve_tracker_options has \(MemoryLayout<CTrackerOptions>.size) bytes: fill it with delve_tracker_options_init")
        }
        let (trackerOptions, kinds) = try parseTrackerOptions(raw.load(as: CTrackerOptions.self))
        var writers: RunWriters?
        if let path = raw.load(as: CTrackerOptions.self).runDirectory {
            let run = try RunDirectory(path: String(cString: path))
            writers = try makeWriters(kinds, run: run, initialEpoch: trackerOptions.initialEpoch)
        } else if !kinds.isEmpty {
            throw CFailure(.argument, "writers need a run_directory")
        }
        let tracker = try SaturationTracker(options: trackerOptions)
        out.pointee = OpaquePointer(Unmanaged.passRetained(TrackerHandle(tracker: tracker, writers: writers)).toOpaque())
    }
}

@_cdecl("delve_tracker_free")
public func delve_tracker_free(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<TrackerHandle>.fromOpaque(UnsafeRawPointer(handle)).release()
}

/// A batch read in place from caller memory (float32).
struct PointerActivationBatch: ActivationBatch {
    let values: UnsafeBufferPointer<Float>
    let shape: [Int]
    let kind: ActivationKind

    func withUnsafeFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R { try body(values) }
}

@_cdecl("delve_tracker_record")
public func delve_tracker_record(_ handle: OpaquePointer?, _ layer: UnsafePointer<CChar>?, _ phaseValue: Int32,
                                 _ data: UnsafeRawPointer?, _ dtype: Int32, _ shape: UnsafePointer<Int64>?,
                                 _ rank: Int32, _ kindValue: Int32) -> Int32 {
    guarded {
        let h = try tracker(handle)
        let name = try string(layer, "layer")
        let phase = try parsePhase(phaseValue)
        let wide = try isFloat64(dtype)
        let kind: ActivationKind
        switch kindValue {
        case 0: kind = .dense
        case 1: kind = .convolution
        case 2: kind = .sequence(batchFirst: true)
        case 3: kind = .sequence(batchFirst: false)
        default: throw CFailure(.argument, "layer '\(name)': kind must be 0…3 (delve_kind), got \(kindValue)")
        }
        guard rank == Int32(kind.rank) else {
            throw CFailure(.argument, "layer '\(name)': \(kind.displayName) has \(kind.rank) dimensions "
                + "(\(kind.axesDescription)), the shape has \(rank)")
        }
        let dims = try required(shape, "shape")
        var sizes: [Int] = []
        for axis in 0..<Int(rank) { sizes.append(try nonNegative(dims[axis], "layer '\(name)': shape[\(axis)]")) }
        let count = try product(sizes, "layer '\(name)': shape")
        var base: UnsafeRawPointer?
        if count > 0 { base = try required(data, "data") }
        if wide, let base {
            let converted = UnsafeBufferPointer(start: base.assumingMemoryBound(to: Double.self), count: count).map { Float($0) }
            try converted.withUnsafeBufferPointer { values in
                try h.tracker.record(layer: name, phase: phase, batch: PointerActivationBatch(values: values, shape: sizes, kind: kind))
            }
        } else {
            let values = UnsafeBufferPointer(start: base?.assumingMemoryBound(to: Float.self), count: count)
            try h.tracker.record(layer: name, phase: phase, batch: PointerActivationBatch(values: values, shape: sizes, kind: kind))
        }
    }
}

@_cdecl("delve_tracker_add_scalar")
public func delve_tracker_add_scalar(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: Double) -> Int32 {
    guarded { try tracker(handle).tracker.addScalar(try string(name, "name"), value) }
}

@_cdecl("delve_tracker_end_epoch")
public func delve_tracker_end_epoch(_ handle: OpaquePointer?) -> Int32 {
    guarded {
        let h = try tracker(handle)
        let record = try h.tracker.endEpoch()
        h.lock.withLock { h.last = record }
        try h.writers?.write(record)
    }
}

@_cdecl("delve_tracker_stop")
public func delve_tracker_stop(_ handle: OpaquePointer?) -> Int32 { guarded { try tracker(handle).tracker.stop() } }

@_cdecl("delve_tracker_resume")
public func delve_tracker_resume(_ handle: OpaquePointer?) -> Int32 { guarded { try tracker(handle).tracker.resume() } }

@_cdecl("delve_tracker_is_recording")
public func delve_tracker_is_recording(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded {
        let h = try tracker(handle)
        try required(out, "recording").pointee = h.tracker.isRecording ? 1 : 0
    }
}

@_cdecl("delve_tracker_epoch")
public func delve_tracker_epoch(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let h = try tracker(handle)
        try required(out, "epoch").pointee = Int64(h.tracker.epoch)
    }
}

@_cdecl("delve_tracker_close")
public func delve_tracker_close(_ handle: OpaquePointer?) -> Int32 { guarded { try tracker(handle).close() } }

@_cdecl("delve_tracker_last_epoch")
public func delve_tracker_last_epoch(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let record = try lastRecord(try tracker(handle))
        try required(out, "epoch").pointee = Int64(record.epoch)
    }
}

@_cdecl("delve_tracker_last_value_count")
public func delve_tracker_last_value_count(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let record = try lastRecord(try tracker(handle))
        try required(out, "count").pointee = Int64(record.keyedValues.count)
    }
}

@_cdecl("delve_tracker_last_value")
public func delve_tracker_last_value(_ handle: OpaquePointer?, _ index: Int64, _ key: UnsafeMutablePointer<CChar>?,
                                     _ capacity: Int, _ keySize: UnsafeMutablePointer<Int>?,
                                     _ value: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded {
        let values = try lastRecord(try tracker(handle)).keyedValues
        guard index >= 0, index < Int64(values.count) else {
            throw CFailure(.argument, "index must be in 0..<\(values.count), got \(index)")
        }
        let entry = values[Int(index)]
        let utf8 = Array(entry.key.utf8CString)
        try required(keySize, "key_size").pointee = utf8.count
        try required(value, "value").pointee = entry.value
        guard let key else { return }
        guard capacity >= utf8.count else {
            throw CFailure(.buffer, "key '\(entry.key)' needs \(utf8.count) bytes, the buffer holds \(capacity)")
        }
        for (i, c) in utf8.enumerated() { key[i] = c }
    }
}

@_cdecl("delve_tracker_last_value_named")
public func delve_tracker_last_value_named(_ handle: OpaquePointer?, _ key: UnsafePointer<CChar>?,
                                           _ value: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded {
        let record = try lastRecord(try tracker(handle))
        let name = try string(key, "key")
        guard let found = record.keyedValues.first(where: { $0.key == name }) else {
            throw CFailure(.argument, "epoch \(record.epoch) has no value '\(name)'")
        }
        try required(value, "value").pointee = found.value
    }
}

/// The last epoch's entry of a layer in a phase.
func lastEntry(_ handle: OpaquePointer?, _ layer: UnsafePointer<CChar>?, _ phaseValue: Int32) throws -> LayerEpochValues {
    let record = try lastRecord(try tracker(handle))
    let name = try string(layer, "layer")
    let phase = try parsePhase(phaseValue)
    guard let entry = record.values(layer: name, phase: phase) else {
        throw CFailure(.argument, "epoch \(record.epoch) has no layer '\(name)' in phase \(phase.rawValue)")
    }
    return entry
}

@_cdecl("delve_tracker_last_samples")
public func delve_tracker_last_samples(_ handle: OpaquePointer?, _ layer: UnsafePointer<CChar>?, _ phaseValue: Int32,
                                       _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let entry = try lastEntry(handle, layer, phaseValue)
        try required(out, "samples").pointee = Int64(entry.samples)
    }
}

@_cdecl("delve_tracker_last_eigenvalues")
public func delve_tracker_last_eigenvalues(_ handle: OpaquePointer?, _ layer: UnsafePointer<CChar>?, _ phaseValue: Int32,
                                           _ out: UnsafeMutablePointer<Double>?, _ capacity: Int64,
                                           _ count: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let entry = try lastEntry(handle, layer, phaseValue)
        guard let eigenvalues = entry.eigenvalues else {
            throw CFailure(.state, "layer '\(entry.layer)': no eigenvalues (keep_spectra is off)")
        }
        try required(count, "count").pointee = Int64(eigenvalues.count)
        guard out != nil else { return }
        try copy(eigenvalues, to: out, capacity: capacity, "layer '\(entry.layer)' eigenvalues")
    }
}
