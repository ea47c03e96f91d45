import Delve
import DelveOutputs
import DelveTraining
import Foundation

/// libFuzzer entry point: the files of a `delve train` checkpoint, read as `delve train --resume` reads
/// them. The first byte chooses the file (modulo 3): 0 the manifest `checkpoint/checkpoint.json`
/// (``TrainingCheckpoint/load(run:)``, which also checks the files it lists), 1 the start configuration
/// `checkpoint/configuration.json`, 2 the tracker state `tracker.json`; the rest is its content.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // An empty file is left out: FoundationEssentials' FileManager.contents(atPath:) leaks its 4 KiB
    // read buffer for one (LeakSanitizer would stop the run); scripts/fault-tests.sh covers empty files.
    guard let data, size > 1 else { return 0 }
    let root = URL(fileURLWithPath: NSTemporaryDirectory() + "/delve-fuzz-checkpoint-\(getpid())", isDirectory: true)
    let folder = root.appendingPathComponent("checkpoint/epoch-000001/tracker", isDirectory: true)
    try? FileManager.default.removeItem(at: root)
    guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil else {
        fatalError("cannot create \(folder.path)")
    }
    defer { try? FileManager.default.removeItem(at: root) }
    let content = Data(bytes: data + 1, count: size - 1)
    guard let run = try? RunDirectory(existing: root.path) else { fatalError("run directory") }
    switch data[0] % 3 {
    case 0:
        // The tracker file of the seed manifest, so that a mutated manifest reaches the later checks.
        let tracker = #"{"epoch":4,"layers":["features.0","classifier"],"scalars":[],"accumulators":[]}"#
        FileManager.default.createFile(atPath: folder.appendingPathComponent(TrackerState.fileName).path, contents: Data(tracker.utf8))
        FileManager.default.createFile(atPath: TrainingCheckpoint.manifestURL(run).path, contents: content)
        _ = try? TrainingCheckpoint.load(run: run)
    case 1:
        FileManager.default.createFile(atPath: TrainingCheckpoint.startConfigurationURL(run).path, contents: content)
        _ = try? TrainingCheckpoint.startOverConfiguration(run: run)
    default:
        FileManager.default.createFile(atPath: folder.appendingPathComponent(TrackerState.fileName).path, contents: content)
        _ = try? TrackerState.read(from: folder)
    }
    return 0
}
