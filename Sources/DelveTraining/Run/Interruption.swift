import Foundation

/// Ctrl-C and `kill` during training: after ``install()``, the first SIGINT or SIGTERM is only noted;
/// ``TrainingRun`` checks the note between batches, abandons the epoch in progress (nothing of it is
/// written: its statistics, outputs and checkpoint are made only when an epoch completes) and throws
/// ``TrainingInterrupted``. A second signal exits at once with status 128 + signal; the last checkpoint
/// is complete either way (its manifest is renamed into place last).
public enum Interruption {
    /// The first signal received (0: none). Written by the signal handler only.
    nonisolated(unsafe) private static let received: UnsafeMutablePointer<sig_atomic_t> = {
        let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()
    /// What the handler writes to standard error on the first signal (prepared outside the handler).
    nonisolated(unsafe) private static let notice: UnsafeMutableBufferPointer<UInt8> = {
        let text = Array("\ninterrupted: stopping after the current batch (interrupt again to exit at once)\n".utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.count)
        _ = buffer.initialize(from: text)
        return buffer
    }()

    /// Installs the SIGINT and SIGTERM handlers for the rest of the process.
    public static func install() {
        _ = received
        _ = notice
        for number in [SIGINT, SIGTERM] {
            signal(number) { number in
                if Interruption.received.pointee != 0 { _exit(128 + number) }
                Interruption.received.pointee = number
                _ = write(2, Interruption.notice.baseAddress, Interruption.notice.count)
            }
        }
    }

    /// The signal that asked the run to stop, if one did.
    public static var receivedSignal: Int32? {
        let number = received.pointee
        return number == 0 ? nil : number
    }

    /// Throws ``TrainingInterrupted`` when a signal asked the run to stop; `epoch` is the epoch that
    /// was abandoned (or not started), `run` the run directory.
    static func check(epoch: Int, run: URL) throws(TrainingInterrupted) {
        if let receivedSignal { throw TrainingInterrupted(signal: receivedSignal, epoch: epoch, run: run.path) }
    }
}
