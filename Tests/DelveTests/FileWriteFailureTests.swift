import Foundation
import Testing
@testable import Delve

/// A write that fails names the file and gives the system's reason, and leaves nothing half-written.
@Suite("Failing writes name the file and the reason")
struct FileWriteFailureTests {
    @Test("a full device: writeFileContents reports ENOSPC with the path")
    func fullDevice() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        do {
            try writeFileContents(Data(repeating: 1, count: 100), to: "/dev/full")
            Issue.record("writing to /dev/full must fail")
        } catch {
            #expect(error.path == "/dev/full" && error.reason == String(cString: strerror(ENOSPC)))
            #expect(error.description == "/dev/full: \(String(cString: strerror(ENOSPC)))")
        }
    }

    @Test("an append that fails throws the system's reason")
    func failingAppend() throws {
        guard let handle = FileHandle(forWritingAtPath: "/dev/full") else { return }
        defer { try? handle.close() }
        do {
            try WriteFaults.append(Data("{\"epoch\":0}\n".utf8), to: handle, path: "/dev/full")
            Issue.record("appending to /dev/full must fail")
        } catch {
            #expect(fileErrorReason(error) == String(cString: strerror(ENOSPC)))
        }
    }

    @Test("writeAtomically: a destination that cannot be written is an error naming it; the folder keeps no temporary file")
    func atomicWriteFails() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("delve-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("statistics.csv")
        try writeAtomically(Data("a\n".utf8), to: file)
        // A path below a regular file: the temporary file cannot be created (ENOTDIR).
        let below = file.appendingPathComponent("inner.csv")
        do {
            try writeAtomically(Data("b\n".utf8), to: below)
            Issue.record("a path below a file must fail")
        } catch {
            guard case .io(let path, let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == below.path && reason.contains(String(cString: strerror(ENOTDIR))))
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "a\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["statistics.csv"])
    }
}
