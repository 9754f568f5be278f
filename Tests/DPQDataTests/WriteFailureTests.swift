import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// Saving to a full or read-only file system fails with a message naming the file and leaves any
/// earlier file intact (issue 7). The file systems are a 64 KiB tmpfs and a read-only bind mount;
/// where mounting is not allowed those tests say so and skip, and an injected failure covers the
/// same path everywhere.
@Suite(.serialized) struct WriteFailureTests {
  /// A mount point for the life of the value; nil when this process may not mount.
  final class Mount {
    let path: String
    private let root: TemporaryDirectory

    init?(_ arguments: [String]) throws {
      root = try TemporaryDirectory()
      path = root.path + "/mnt"
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      guard Mount.run(arguments + [path]) else { return nil }
    }

    /// A 64 KiB tmpfs.
    static func tiny() throws -> Mount? { try Mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs"]) }

    /// `directory` bound read-only.
    static func readOnly(_ directory: String) throws -> Mount? {
      guard let m = try Mount(["--bind", directory]) else { return nil }
      guard run(["-o", "remount,ro,bind", m.path]) else { return nil }
      return m
    }

    static func run(_ arguments: [String]) -> Bool {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/mount")
      p.arguments = arguments
      p.standardError = FileHandle.nullDevice
      p.standardOutput = FileHandle.nullDevice
      do { try p.run() } catch { return false }
      p.waitUntilExit()
      return p.terminationStatus == 0
    }

    deinit {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/umount")
      p.arguments = ["-l", path]
      try? p.run()
      p.waitUntilExit()
    }
  }

  func big() -> Tensor { Tensor(shape: [256, 256]) { b in for i in 0..<b.count { b[i] = Float(i) } } } // 256 KiB
  func small() -> Tensor { Tensor([1, 2, 3]) }

  /// Every way dpq saves a tensor file, each writing `tensor` to `path`.
  var writers: [(String, (Tensor, String) throws -> Void)] {
    [
      ("safetensors", { t, p in try SafeTensors(entries: [.init(name: "x", tensor: t)]).write(to: p) }),
      ("npy", { t, p in try NPY.write(t, to: p) }),
      ("fvecs", { t, p in try Vecs.writeFvecs(t.rank == 1 ? try t.reshaped([1, t.count]) : t, to: p) }),
    ]
  }

  func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

  func expectRefusal(_ path: String, mentions reason: String, _ body: () throws -> Void) {
    do {
      try body()
      Issue.record("writing \(path) succeeded")
    } catch {
      let message = "\(error)"
      #expect(message.contains(path) && message.localizedCaseInsensitiveContains(reason), "\(message)")
      if case DataError.writeFailed = error {} else { Issue.record("expected DataError.writeFailed, got \(error)") }
    }
  }

  func leftovers(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.contains(".tmp-") }
  }

  @Test func aFullFileSystemRefusesTheWriteAndKeepsTheEarlierFile() throws {
    guard let mount = try Mount.tiny() else {
      print(
        "SKIPPED aFullFileSystemRefusesTheWriteAndKeepsTheEarlierFile: this process may not mount a tmpfs (needs root and CAP_SYS_ADMIN); the injected-failure test covers the path"
      )
      return
    }
    for (name, write) in writers {
      let path = mount.path + "/out." + name
      try write(small(), path)
      let before = try #require(contents(path))
      expectRefusal(path, mentions: "no space") { try write(big(), path) }
      #expect(contents(path) == before, "\(name): the earlier file changed")
      #expect(leftovers(mount.path).isEmpty, "\(name): temporary files left: \(leftovers(mount.path))")
    }
  }

  @Test func aReadOnlyFileSystemRefusesTheWriteAndKeepsTheEarlierFile() throws {
    let directory = try TemporaryDirectory()
    for (name, write) in writers { try write(small(), directory.path + "/out." + name) }
    guard let mount = try Mount.readOnly(directory.path) else {
      print(
        "SKIPPED aReadOnlyFileSystemRefusesTheWriteAndKeepsTheEarlierFile: this process may not bind-mount; the injected-failure test covers the path"
      )
      return
    }
    for (name, write) in writers {
      let path = mount.path + "/out." + name
      let before = try #require(contents(path))
      expectRefusal(path, mentions: "read-only") { try write(big(), path) }
      #expect(contents(path) == before, "\(name): the earlier file changed")
    }
  }

  @Test func anInjectedFailureAtFlushKeepsTheEarlierFileAndLeavesNoTemporary() throws {
    let directory = try TemporaryDirectory()
    for (name, write) in writers {
      let path = directory.path + "/out." + name
      try write(small(), path)
      let before = try #require(contents(path))
      AtomicWriter.injectFailure(path: path, errno: ENOSPC)
      defer { AtomicWriter.injectFailure(path: path, errno: nil) }
      expectRefusal(path, mentions: "no space") { try write(big(), path) }
      #expect(contents(path) == before)
      #expect(leftovers(directory.path).isEmpty, "\(leftovers(directory.path))")
    }
  }

  @Test func aMissingDirectoryOrADirectoryPathIsRefusedNamingTheFile() throws {
    let directory = try TemporaryDirectory()
    for (_, write) in writers {
      expectRefusal(directory.path + "/no/such/dir/x", mentions: "no such file") {
        try write(small(), directory.path + "/no/such/dir/x")
      }
      expectRefusal(directory.path + "/", mentions: "directory") { try write(small(), directory.path + "/") }
    }
  }
}
