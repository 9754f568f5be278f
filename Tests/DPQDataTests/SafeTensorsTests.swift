import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// The project's private Python with numpy and safetensors (ProjectPython), nil when missing.
private func interopPython() -> String? {
  let py = ProjectPython.root.appendingPathComponent(".venv/bin/python").path
  guard FileManager.default.isExecutableFile(atPath: py) else { return nil }
  return ProjectPython.run(py, ["-c", "import safetensors, numpy"]).status == 0 ? py : nil
}

private func temporaryDirectory() throws -> String {
  let dir = NSTemporaryDirectory() + "dpq-test-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}

@Suite struct SafeTensorsTests {
  func sample() throws -> SafeTensors {
    let w = try Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 4, 5, 6])
    return SafeTensors(
      entries: [
        .init(name: "fc.weight", tensor: w),
        .init(name: "codes", integers: [0, 255, 7, 9], shape: [2, 2], dtype: .uint8),
        .init(name: "ids", integers: [-1, 1 << 40], shape: [2], dtype: .int64),
      ],
      metadata: ["format": "dpq", "version": "1"])
  }

  @Test func roundTrip() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/m.safetensors"
    try sample().write(to: path)
    let back = try SafeTensors.read(path)
    #expect(back.metadata == ["format": "dpq", "version": "1"])
    #expect(try back.tensor("fc.weight").scalars == [1, -2, 3.5, 4, 5, 6])
    #expect(try back.integers("codes").values == [0, 255, 7, 9])
    #expect(try back.integers("ids").values == [-1, 1 << 40])
    #expect(throws: DataError.missingEntry(path: path, name: "nope")) { try back.tensor("nope", path: path) }
    #expect(throws: DataError.self) { try back.tensor("fc.weight", shape: [3, 2], path: path) }
    // the data section starts 8-byte aligned
    let bytes = try sample().encoded()
    let h = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    #expect((8 + h) % 8 == 0)
  }

  @Test func refusesCorruptFiles() throws {
    let good = try sample().encoded()
    let cases: [(String, [UInt8], String)] = [
      ("empty", [], "truncated"),
      ("short data", Array(good.dropLast(3)), "truncated"),
      ("lying header length", [0xff, 0xff, 0, 0, 0, 0, 0, 0] + good.dropFirst(8), "header"),
      ("garbage json", [4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b, 0x7b, 0x7b], "JSON"),
    ]
    for (label, bytes, word) in cases {
      do {
        _ = try SafeTensors.decode(bytes, path: "x.safetensors")
        Issue.record("\(label): accepted")
      } catch let e as DataError {
        #expect(e.description.hasPrefix("x.safetensors: "), "\(label): \(e)")
        #expect(e.description.localizedCaseInsensitiveContains(word), "\(label): \(e)")
      }
    }
    #expect(throws: DataError.self) { try SafeTensors.read("/nonexistent/dir/m.safetensors") }
  }

  @Test func atomicWriteKeepsOldFileOnFailure() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/m.safetensors"
    try sample().write(to: path)
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(throws: DataError.self) { try sample().write(to: dir + "/missing-dir/m.safetensors") }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
  }

  @Test(.disabled(if: skipInterop, "DPQ_SKIP_INTEROP is set")) func interoperatesWithPythonSafetensors() throws {
    guard let py = interopPython() else {
      // a missing environment fails the test: printing SKIPPED and passing hid it on fresh machines
      Issue.record(
        "the Python interop environment (.venv with numpy and safetensors) is missing: run scripts/setup, or set DPQ_SKIP_INTEROP=1 to skip this test knowingly"
      )
      return
    }
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // dpq -> Python
    try sample().write(to: dir + "/a.safetensors")
    let read = ProjectPython.run(
      py,
      [
        "-c",
        """
        from safetensors.numpy import load_file
        d = load_file('\(dir)/a.safetensors')
        print(d['fc.weight'].tolist(), d['codes'].dtype, d['ids'].tolist())
        """,
      ])
    #expect(read.status == 0, "\(read.output)")
    #expect(read.output.contains("[[1.0, -2.0, 3.5], [4.0, 5.0, 6.0]] uint8 [-1, 1099511627776]"), "\(read.output)")
    // Python -> dpq
    let write = ProjectPython.run(
      py,
      [
        "-c",
        """
        import numpy as np
        from safetensors.numpy import save_file
        save_file({'backbone.conv1.weight': np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2),
                   'codes': np.array([[1, 2], [3, 65535]], dtype=np.uint16)}, '\(dir)/b.safetensors',
                  metadata={'format': 'dpq'})
        """,
      ])
    #expect(write.status == 0, "\(write.output)")
    let b = try SafeTensors.read(dir + "/b.safetensors")
    #expect(b.metadata["format"] == "dpq")
    let w = try b.tensor("backbone.conv1.weight")
    #expect(w.shape == [2, 3, 2, 2])
    #expect(w.scalars == (0..<24).map(Float.init))
    #expect(try b.integers("codes").values == [1, 2, 3, 65535])
  }
}
