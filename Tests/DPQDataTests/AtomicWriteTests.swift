import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// What a save does to the file it replaces: a symbolic link is written through, permissions
/// stay, FIFOs, devices and directories are refused before anything is written, and no temporary
/// file is left after a failure (issue 12).
@Suite(.serialized) struct AtomicWriteTests {
  func temporaries(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }
  }

  func mode(_ path: String) -> mode_t {
    var st = stat()
    stat(path, &st)
    return st.st_mode & 0o7777
  }

  @Test func aSymlinkIsWrittenThroughAndPermissionsStay() throws {
    let dir = try TemporaryDirectory()
    let target = try dir.write("real.npy", [1, 2, 3])
    chmod(target, 0o600)
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/link.npy", withDestinationPath: "real.npy")
    try NPY.write(Tensor([4, 5]), to: dir.path + "/link.npy")
    let kind = try FileManager.default.attributesOfItem(atPath: dir.path + "/link.npy")[.type] as? FileAttributeType
    #expect(kind == .typeSymbolicLink)
    #expect(try NPY.readTensor(target).scalars == [4, 5])
    #expect(mode(target) == 0o600)
    #expect(temporaries(dir.path).isEmpty)
  }

  @Test func aFIFODeviceOrDirectoryIsRefusedBeforeWriting() throws {
    let dir = try TemporaryDirectory()
    let fifo = dir.path + "/pipe.npy"
    #expect(mkfifo(fifo, 0o644) == 0)
    expectDataError(fifo, ["not a regular file"]) { try NPY.write(Tensor([1]), to: fifo) }
    var st = stat()
    #expect(stat(fifo, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
    expectDataError("/dev/null", ["not a regular file"]) { try NPY.write(Tensor([1]), to: "/dev/null") }
    try FileManager.default.createDirectory(atPath: dir.path + "/d.npy", withIntermediateDirectories: false)
    expectDataError(dir.path + "/d.npy", ["directory"]) { try NPY.write(Tensor([1]), to: dir.path + "/d.npy") }
    #expect(temporaries(dir.path).isEmpty)
  }

  /// A pid that no process has: pids stay below the kernel's pid_max.
  static func deadPID() -> pid_t {
    let text = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? ""
    return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4_194_304
  }

  @Test func temporaryNamesCarryTheirWritersPID() {
    #expect(TemporaryFiles.ownerPID(ofTemporaryName: ".out.npy.tmp-1234-99") == 1234)
    #expect(TemporaryFiles.ownerPID(ofTemporaryName: ".a.tmp-b.tmp-7-0") == 7)
    for name in [
      "out.npy.tmp-1234-99", ".tmp-1234-99", ".x.tmp-12a-9", ".x.tmp-12-", ".x.tmp-12-3-4", ".x.tmp-0-1", ".x.npy",
    ] {
      #expect(TemporaryFiles.ownerPID(ofTemporaryName: name) == nil, "\(name)")
    }
  }

  /// A writer killed by SIGKILL leaves its temporary file; the next write to the directory removes
  /// it, and nothing else: not a file of a running process, not a name of another pattern.
  @Test func theNextWriteSweepsOrphansOfDeadWritersOnly() throws {
    let dir = try TemporaryDirectory()
    let orphan = try dir.write(".m.npy.tmp-\(Self.deadPID())-12345", [1, 2, 3])
    let running = try dir.write(".m.npy.tmp-\(getppid())-7", [1])
    let others = [
      try dir.write(".m.npy.tmp-x", [1]), try dir.write("m.npy.tmp-\(Self.deadPID())-1", [1]),
      try dir.write("m.npy", [1]),
    ]
    try NPY.write(Tensor([1]), to: dir.path + "/new.npy")
    #expect(!FileManager.default.fileExists(atPath: orphan))
    for kept in [running] + others { #expect(FileManager.default.fileExists(atPath: kept), "\(kept)") }
    #expect(try NPY.readTensor(dir.path + "/new.npy").scalars == [1])
  }

  @Test func aFailedWriteLeavesNoTemporaryFileAndNoRegistration() throws {
    let dir = try TemporaryDirectory()
    let path = dir.path + "/x.npy"
    AtomicWriter.injectFailure(path: path, errno: ENOSPC)
    defer { AtomicWriter.injectFailure(path: path, errno: nil) }
    expectDataError(path, ["No space left"]) { try NPY.write(Tensor([1]), to: path) }
    #expect(temporaries(dir.path).isEmpty)
    #expect(!TemporaryFiles.registered.contains { $0.hasPrefix(dir.path) })
  }
}

/// `split.save` writes a manifest last; `load_split` refuses files that do not match it, so a
/// save that failed midway (new train.npy beside an old query.npy) is not taken for a split.
@Suite(.serialized) struct SplitManifestTests {
  let data: LabelledDataset
  init() throws { data = try LabelledDataset(features: Tensor.zeros([60, 2]), labels: (0..<60).map { $0 % 3 }) }

  @Test func aSavedSplitLoadsBack() throws {
    let dir = try TemporaryDirectory()
    let split = try Splits.perClass(data, train: 3, query: 2, seed: 1)
    try split.save(directory: dir.path)
    let again = try Splits.fromDirectory(data, directory: dir.path)
    #expect(
      again.trainIndices == split.trainIndices && again.queryIndices == split.queryIndices
        && again.databaseIndices == split.databaseIndices)
  }

  @Test func filesFromTwoSavesAreRefused() throws {
    let (a, b) = (try TemporaryDirectory(), try TemporaryDirectory())
    try Splits.perClass(data, train: 3, query: 2, seed: 1).save(directory: a.path)
    try Splits.perClass(data, train: 3, query: 2, seed: 2).save(directory: b.path)
    try FileManager.default.removeItem(atPath: a.path + "/query.npy")
    try FileManager.default.copyItem(atPath: b.path + "/query.npy", toPath: a.path + "/query.npy")
    expectDataError(a.path + "/query.npy", ["does not match split.json"]) {
      _ = try Splits.fromDirectory(data, directory: a.path)
    }
  }

  @Test func aSaveThatFailedMidwayIsRefused() throws {
    let dir = try TemporaryDirectory()
    try Splits.perClass(data, train: 3, query: 2, seed: 1).save(directory: dir.path)
    let query = dir.path + "/query.npy"
    AtomicWriter.injectFailure(path: query, errno: ENOSPC)
    defer { AtomicWriter.injectFailure(path: query, errno: nil) }
    #expect(throws: DataError.self) { try Splits.perClass(data, train: 4, query: 1, seed: 5).save(directory: dir.path) }
    expectDataError(dir.path + "/split.json", ["not completely saved"]) {
      _ = try Splits.fromDirectory(data, directory: dir.path)
    }
  }

  @Test func indexFilesWithoutAManifestStillLoad() throws {
    let dir = try TemporaryDirectory()
    try NPY.write(integers: [0, 1], to: dir.path + "/train.npy")
    try NPY.write(integers: [2], to: dir.path + "/query.npy")
    try NPY.write(integers: [3, 4, 5], to: dir.path + "/database.npy")
    #expect(try Splits.fromDirectory(data, directory: dir.path).databaseIndices == [3, 4, 5])
  }
}
