import Delve

// The tracker's moments and data-parallel exchange calls of include/delve.h.

@_cdecl("delve_tracker_record_moments")
public func delve_tracker_record_moments(_ handle: OpaquePointer?, _ layer: UnsafePointer<CChar>?, _ phaseValue: Int32,
                                         _ count: Int64, _ features: Int64, _ mean: UnsafePointer<Double>?,
                                         _ comoment: UnsafePointer<Double>?) -> Int32 {
    guarded {
        let h = try tracker(handle)
        let name = try string(layer, "layer")
        let phase = try parsePhase(phaseValue)
        let n = try nonNegative(count, "count")
        guard features >= 1, features <= maxFeatures else {
            throw CFailure(.argument, "layer '\(name)': features must be in 1…\(maxFeatures), got \(features)")
        }
        let d = Int(features)
        let m = try required(mean, "mean"), c = try required(comoment, "comoment")
        try h.tracker.recordMoments(layer: name, phase: phase, count: n, mean: UnsafeBufferPointer(start: m, count: d),
                                    comoment: UnsafeBufferPointer(start: c, count: d * d))
    }
}

@_cdecl("delve_tracker_epoch_layer_count")
public func delve_tracker_epoch_layer_count(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let h = try tracker(handle)
        try required(out, "count").pointee = Int64(h.tracker.epochLayers().count)
    }
}

@_cdecl("delve_tracker_epoch_layer")
public func delve_tracker_epoch_layer(_ handle: OpaquePointer?, _ index: Int64, _ layer: UnsafeMutablePointer<CChar>?,
                                      _ capacity: Int, _ layerSize: UnsafeMutablePointer<Int>?,
                                      _ phase: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded {
        let layers = try tracker(handle).tracker.epochLayers()
        guard index >= 0, index < Int64(layers.count) else {
            throw CFailure(.argument, "index must be in 0..<\(layers.count), got \(index)")
        }
        let entry = layers[Int(index)]
        let utf8 = Array(entry.layer.utf8CString)
        try required(layerSize, "layer_size").pointee = utf8.count
        try required(phase, "phase").pointee = entry.phase == .train ? 0 : 1
        guard let layer else { return }
        guard capacity >= utf8.count else {
            throw CFailure(.buffer, "layer '\(entry.layer)' needs \(utf8.count) bytes, the buffer holds \(capacity)")
        }
        for (i, c) in utf8.enumerated() { layer[i] = c }
    }
}

@_cdecl("delve_tracker_layer_state")
public func delve_tracker_layer_state(_ handle: OpaquePointer?, _ layer: UnsafePointer<CChar>?, _ phaseValue: Int32,
                                      _ out: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                                      _ size: UnsafeMutablePointer<Int>?) -> Int32 {
    guarded {
        let h = try tracker(handle)
        let name = try string(layer, "layer")
        let phase = try parsePhase(phaseValue)
        let size = try required(size, "size")
        guard let bytes = h.tracker.serializedState(layer: name, phase: phase) else {
            throw CFailure(.argument, "layer '\(name)' has no state in phase \(phase.rawValue)")
        }
        size.pointee = bytes.count
        guard let out else { return }
        guard capacity >= bytes.count else {
            throw CFailure(.buffer, "layer '\(name)' state needs \(bytes.count) bytes, the buffer holds \(capacity)")
        }
        for (i, b) in bytes.enumerated() { out[i] = b }
    }
}

@_cdecl("delve_tracker_replace_layer_state")
public func delve_tracker_replace_layer_state(_ handle: OpaquePointer?, _ layer: UnsafePointer<CChar>?,
                                              _ phaseValue: Int32, _ bytes: UnsafePointer<UInt8>?,
                                              _ size: Int) -> Int32 {
    guarded {
        let h = try tracker(handle)
        let name = try string(layer, "layer")
        let phase = try parsePhase(phaseValue)
        guard size > 0 else { throw CFailure(.argument, "size must be > 0, got \(size)") }
        let data = Array(UnsafeBufferPointer(start: try required(bytes, "bytes"), count: size))
        try h.tracker.replaceState(layer: name, phase: phase, serialized: data)
    }
}
