import Delve
import DelveOutputs
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The status codes of `include/delve.h` (`delve_status`).
enum CStatus: Int32 {
    case ok = 0, argument = 1, badBatch = 2, state = 3, io = 4, writer = 5, buffer = 6
}

/// A failure to report through the C interface: a status and the message `delve_last_error` returns.
struct CFailure: Error {
    let status: CStatus
    let message: String

    init(_ status: CStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The status and message of any error the engine throws.
    init(_ error: any Error) {
        switch error {
        case let failure as CFailure:
            self = failure
        case let error as CovarianceError:
            switch error {
            case .nonFinite, .overflow: self.init(.badBatch, error.description)
            case .bufferSize, .invalidSize, .featureMismatch: self.init(.argument, error.description)
            case .corrupt, .unsupportedVersion: self.init(.state, error.description)
            case .io: self.init(.io, error.description)
            }
        case let error as TrackerError:
            switch error {
            case .badBatch, .rejectedBatches: self.init(.badBatch, error.description)
            case .invalidOption, .cka: self.init(.argument, error.description)
            case .writerFailed: self.init(.writer, error.description)
            case .state: self.init(.state, error.description)
            case .backgroundEpoch(_, let failure): self.init(CFailure(failure).status, error.description)
            }
        case let error as WriterError:
            if case .invalidArgument = error { self.init(.argument, error.description) } else { self.init(.io, error.description) }
        case let error as SpectrumError:
            self.init(.state, String(describing: error))
        default:
            self.init(.argument, String(describing: error))
        }
    }
}

/// The per-thread message of the last failed call, a `malloc`ed C string owned by the thread's key.
private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()

nonisolated(unsafe) private let emptyMessage: UnsafeMutablePointer<CChar> = strdup("")!

/// Stores `message` as this thread's last error.
func setLastError(_ message: String) {
    let previous = pthread_getspecific(lastErrorKey)
    pthread_setspecific(lastErrorKey, strdup(message))
    free(previous)
}

/// Runs `body`; a thrown error becomes its status and this thread's last error.
func guarded(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return CStatus.ok.rawValue
    } catch {
        let failure = CFailure(error)
        setLastError(failure.message)
        return failure.status.rawValue
    }
}

@_cdecl("delve_abi_version")
public func delve_abi_version() -> UInt32 { 2 }

@_cdecl("delve_last_error")
public func delve_last_error() -> UnsafePointer<CChar> {
    guard let message = pthread_getspecific(lastErrorKey) else { return UnsafePointer(emptyMessage) }
    return UnsafePointer(message.assumingMemoryBound(to: CChar.self))
}

// MARK: Argument checks shared by the accumulator and the tracker

/// The non-NULL pointer `pointer`, or an argument failure naming it.
func required<T>(_ pointer: T?, _ name: String) throws(CFailure) -> T {
    guard let pointer else { throw CFailure(.argument, "\(name) must not be NULL") }
    return pointer
}

/// A C string as a Swift string (invalid UTF-8 is replaced), or an argument failure when NULL.
func string(_ pointer: UnsafePointer<CChar>?, _ name: String) throws(CFailure) -> String {
    String(cString: try required(pointer, name))
}

/// A non-negative count, or an argument failure naming it.
func nonNegative(_ value: Int64, _ name: String) throws(CFailure) -> Int {
    guard value >= 0, value <= Int64(Int.max) else { throw CFailure(.argument, "\(name) must be ≥ 0, got \(value)") }
    return Int(value)
}

/// The product of `sizes`, or an argument failure when it overflows.
func product(_ sizes: [Int], _ what: String) throws(CFailure) -> Int {
    var total = 1
    for size in sizes {
        let (p, overflow) = total.multipliedReportingOverflow(by: size)
        guard !overflow else { throw CFailure(.argument, "\(what) \(sizes) has too many elements") }
        total = p
    }
    return total
}

/// `delve_dtype`: false for float32, true for float64.
func isFloat64(_ dtype: Int32) throws(CFailure) -> Bool {
    switch dtype {
    case 0: return false
    case 1: return true
    default: throw CFailure(.argument, "dtype must be DELVE_FLOAT32 (0) or DELVE_FLOAT64 (1), got \(dtype)")
    }
}

func parsePrecision(_ value: Int32) throws(CFailure) -> AccumulationPrecision {
    switch value {
    case 0: return .float64
    case 1: return .float32
    default: throw CFailure(.argument, "precision must be DELVE_PRECISION_FLOAT64 (0) or DELVE_PRECISION_FLOAT32 (1), got \(value)")
    }
}

func parseConvention(_ value: Int32) throws(CFailure) -> IntrinsicDimensionalityConvention {
    switch value {
    case 0: return .paper
    case 1: return .delve
    default: throw CFailure(.argument, "convention must be DELVE_CONVENTION_PAPER (0) or DELVE_CONVENTION_DELVE (1), got \(value)")
    }
}

func parsePhase(_ value: Int32) throws(CFailure) -> Phase {
    switch value {
    case 0: return .train
    case 1: return .eval
    default: throw CFailure(.argument, "phase must be DELVE_PHASE_TRAIN (0) or DELVE_PHASE_EVAL (1), got \(value)")
    }
}

func parseThreshold(_ value: Double) throws(CFailure) -> Double {
    guard value > 0, value <= 1 else { throw CFailure(.argument, "threshold must be in (0, 1], got \(value)") }
    return value
}

/// Copies `values` into a caller buffer of `capacity` elements.
func copy(_ values: [Double], to out: UnsafeMutablePointer<Double>?, capacity: Int64, _ what: String) throws(CFailure) {
    let out = try required(out, "out")
    guard capacity >= Int64(values.count) else {
        throw CFailure(.buffer, "\(what) needs \(values.count) doubles, the buffer holds \(capacity)")
    }
    for (i, v) in values.enumerated() { out[i] = v }
}
