import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// A Python with NumPy, as `[executable, leading arguments]`: the project's private .venv if
/// scripts/setup made one, else the first python3 on PATH that has NumPy.
let numpyPython: [String]? = {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let venv = root.appendingPathComponent(".venv/bin/python").path
  let candidates = [[venv], ["/usr/bin/env", "python3"], ["/usr/bin/python3"]]
  for c in candidates where FileManager.default.isExecutableFile(atPath: c[0]) {
    if (try? runCommand(c[0], Array(c.dropFirst()) + ["-c", "import numpy"]))?.status == 0 { return c }
  }
  return nil
}()

@Suite struct NPYTests {
  static let arrays: [NPYArray] = [
    try! NPYArray(shape: [2, 3], values: .float32([1.5, -2, 0, 3.25, 1e-30, -7])),
    try! NPYArray(shape: [3], values: .float64([1.0 / 3.0, -1e300, 2])),
    try! NPYArray(shape: [2, 2, 2], values: .uint8([0, 1, 2, 127, 128, 200, 254, 255])),
    try! NPYArray(shape: [4], values: .int64([0, -1, Int64.max, Int64.min])),
    try! NPYArray(shape: [1, 2], values: .int32([Int32.min, 42])),
    try! NPYArray(shape: [], values: .float32([6])),
    try! NPYArray(shape: [0, 5], values: .float32([])),
  ]

  @Test(arguments: arrays)
  func roundTripsEachDType(array: NPYArray) throws {
    let dir = try TemporaryDirectory()
    let path = dir.path + "/a.npy"
    try NPY.write(array, to: path)
    #expect(try NPY.read(path) == array)
    // The header is padded so the data starts on a 64-byte boundary and ends with a newline.
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    #expect((10 + headerLength) % 64 == 0)
    #expect(bytes[10 + headerLength - 1] == 0x0a)
    #expect(bytes.count == 10 + headerLength + array.count * array.dtype.byteCount)
    // Every dtype converts to a Float32 tensor of the same shape.
    let tensor = try NPY.readTensor(path)
    #expect(tensor.shape == array.shape)
    #expect(tensor == (try array.tensor()))
  }

  @Test func tensorAndIntegerConveniences() throws {
    let dir = try TemporaryDirectory()
    let t = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    try NPY.write(t, to: dir.path + "/t.npy")
    #expect(try NPY.readTensor(dir.path + "/t.npy") == t)
    try NPY.write(integers: [5, -3, 7, 0, 1, 2], shape: [2, 3], to: dir.path + "/i.npy")
    let ints = try NPY.readIntegers(dir.path + "/i.npy")
    #expect(ints.shape == [2, 3] && ints.values == [5, -3, 7, 0, 1, 2])
    #expect(try NPY.read(dir.path + "/i.npy").dtype == .int64)
    // Reading a gzip-compressed .npy works too.
    let zipped = try dir.writeGzip("t.npy.gz", [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path + "/t.npy"))))
    #expect(try NPY.readTensor(zipped) == t)
    // Overwriting goes through a temporary file: no leftovers in the directory.
    try NPY.write(t, to: dir.path + "/t.npy")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp") }
    #expect(leftovers.isEmpty)
    #expect(throws: DataError.self) { try NPY.write(t, to: dir.path + "/no/such/dir/t.npy") }
  }

  @Test(.disabled(if: skipInterop, "DPQ_SKIP_INTEROP is set")) func interoperatesWithNumPy() throws {
    guard let python = numpyPython else {
      Issue.record(
        "the Python interop environment (.venv with numpy and safetensors) is missing: run scripts/setup, or set DPQ_SKIP_INTEROP=1 to skip this test knowingly"
      )
      return
    }
    let dir = try TemporaryDirectory()
    let script = """
      import numpy as np, sys
      d = sys.argv[1]
      np.save(d + '/f4.npy', np.arange(12, dtype='<f4').reshape(3, 4) / 8)
      np.save(d + '/f8.npy', np.array([[0.1, -2.5], [1e10, 3]], dtype='<f8'))
      np.save(d + '/u1.npy', np.arange(250, 256, dtype=np.uint8))
      np.save(d + '/i8.npy', np.array([-5, 0, 2**40], dtype='<i8'))
      np.save(d + '/i4.npy', np.array([[7], [-8]], dtype='<i4'))
      np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3), dtype='<f4')))
      np.save(d + '/big.npy', np.ones(3, dtype='>f4'))
      np.save(d + '/bool.npy', np.ones(3, dtype=bool))
      np.save(d + '/scalar.npy', np.float32(2.5))
      """
    let result = try runCommand(python[0], Array(python.dropFirst()) + ["-c", script, dir.path])
    try #require(result.status == 0, "python failed")
    let f4 = try NPY.readTensor(dir.path + "/f4.npy")
    #expect(f4.shape == [3, 4] && f4.scalars == (0..<12).map { Float($0) / 8 })
    #expect(try NPY.read(dir.path + "/f8.npy").values == .float64([0.1, -2.5, 1e10, 3]))
    #expect(try NPY.readTensor(dir.path + "/f8.npy").scalars == [0.1, -2.5, 1e10, 3])
    #expect(try NPY.read(dir.path + "/u1.npy").values == .uint8([250, 251, 252, 253, 254, 255]))
    #expect(try NPY.readIntegers(dir.path + "/i8.npy").values == [-5, 0, 1 << 40])
    #expect(try NPY.readIntegers(dir.path + "/i4.npy") == IntegerArray(shape: [2, 1], values: [7, -8]))
    #expect(try NPY.readTensor(dir.path + "/scalar.npy") == Tensor(scalar: 2.5))
    expectDataError(dir.path + "/fortran.npy", ["fortran_order is True", "np.ascontiguousarray"]) {
      _ = try NPY.read(dir.path + "/fortran.npy")
    }
    expectDataError(dir.path + "/big.npy", ["unsupported element type", "'>f4'", "big-endian"]) {
      _ = try NPY.read(dir.path + "/big.npy")
    }
    expectDataError(dir.path + "/bool.npy", ["unsupported element type", "'|b1'"]) {
      _ = try NPY.read(dir.path + "/bool.npy")
    }

    // The other way: files dpq writes, read by NumPy.
    try NPY.write(try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6.5]), to: dir.path + "/mine-f4.npy")
    try NPY.write(integers: [3, -1, 1 << 40], to: dir.path + "/mine-i8.npy")
    try NPY.write(try NPYArray(shape: [2], values: .uint8([9, 255])), to: dir.path + "/mine-u1.npy")
    let check = """
      import numpy as np, sys
      d = sys.argv[1]
      for name in ['mine-f4', 'mine-i8', 'mine-u1']:
          a = np.load(d + '/' + name + '.npy')
          print(name, a.dtype.str, a.shape, a.ravel().tolist())
      """
    let out = try runCommand(python[0], Array(python.dropFirst()) + ["-c", check, dir.path])
    #expect(out.status == 0)
    #expect(
      out.output == """
        mine-f4 <f4 (2, 3) [1.0, 2.0, 3.0, 4.0, 5.0, 6.5]
        mine-i8 <i8 (3,) [3, -1, 1099511627776]
        mine-u1 |u1 (2,) [9, 255]

        """)
  }

  /// A .npy file with a hand-written header and `data` bytes.
  func npy(_ header: String, _ data: [UInt8], version: UInt8 = 1) -> [UInt8] {
    let h = Array(header.utf8) + [0x0a]
    let length =
      version == 1 ? [UInt8(h.count & 255), UInt8(h.count >> 8)] : [UInt8(h.count & 255), UInt8(h.count >> 8), 0, 0]
    return NPY.magic + [version, 0] + length + h + data
  }

  /// 175,000 nested `[` in a version 2 header (a 160 KB file) overflowed the stack of the
  /// recursive header parser; nesting is bounded and refused with the file's name.
  @Test func refusesADeeplyNestedHeader() throws {
    let dir = try TemporaryDirectory()
    for (depth, name) in [(175_000, "deep.npy"), (33, "shallow.npy")] {
      let h =
        Array("{'descr': '<f4', 'fortran_order': False, 'shape': ".utf8)
        + [UInt8](repeating: UInt8(ascii: "["), count: depth) + [0x0a]
      let length = (0..<4).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) }
      let path = try dir.write(name, NPY.magic + [2, 0] + length + h)
      expectDataError(path, ["nested more than 32 deep"]) { _ = try NPY.read(path) }
    }
  }

  @Test func refusesCorruptFiles() throws {
    let dir = try TemporaryDirectory()
    let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    #expect(try NPY.readTensor(try dir.write("ok.npy", npy(good, [0, 0, 128, 63, 0, 0, 0, 64]))).scalars == [1, 2])
    #expect(
      try NPY.readTensor(try dir.write("v2.npy", npy(good, [0, 0, 128, 63, 0, 0, 0, 64], version: 2))).scalars == [
        1, 2,
      ])
    let cases: [(String, [UInt8], [String])] = [
      ("magic.npy", Array("PK\u{3}\u{4}not numpy at all".utf8), ["bad magic number", "93 4e 55 4d 50 59"]),
      (
        "short.npy", npy(good, [0, 0, 128, 63]),
        ["truncated", "header says shape [2] of '<f4' (76 bytes) but the file has 72 bytes"]
      ),
      ("long.npy", npy(good, [UInt8](repeating: 0, count: 12)), ["does not match", "but the file has"]),
      ("version.npy", npy(good, [], version: 9), ["version 9.0 is not supported"]),
      (
        "key.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", []),
        ["unexpected key 'extra'"]
      ),
      ("noshape.npy", npy("{'descr': '<f4', 'fortran_order': False}", []), ["no 'shape' key"]),
      ("shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'a')}", []), ["shape must be a tuple"]),
      (
        "syntax.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", []), ["bad header", "expected '}'"]
      ),
      ("notdict.npy", npy("[1, 2]", []), ["not a dict"]),
      (
        "fortran.npy",
        npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", [UInt8](repeating: 0, count: 16)),
        ["fortran_order is True"]
      ),
      (
        "struct.npy", npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]),
        ["structured dtype"]
      ),
      (
        "f2.npy", npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", [0, 0]),
        ["unsupported element type '<f2'"]
      ),
      (
        "huge.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", []),
        ["too large"]
      ),
      (
        "lie.npy", NPY.magic + [1, 0, 0xff, 0xff] + Array("{'descr'".utf8),
        ["truncated", "header length field says 65535 bytes"]
      ),
      ("tiny.npy", [0x93, 0x4e], ["truncated"]),
    ]
    for (name, bytes, fragments) in cases {
      let path = try dir.write(name, bytes)
      expectDataError(path, fragments) { _ = try NPY.read(path) }
      expectDataError(path, fragments) { _ = try NPY.readTensor(path) }
    }
    // A 1-D array is the same in either order, so fortran_order True is accepted there.
    let oneD = try dir.write(
      "f1.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", [0, 0, 128, 63]))
    #expect(try NPY.readTensor(oneD).scalars == [1])
  }
}

@Suite struct VecsTests {
  /// Vecs records: each vector's dimension as little-endian int32, then its element bytes.
  func vecs(_ rows: [[UInt8]], dimension: (Int) -> Int32) -> [UInt8] {
    rows.enumerated().flatMap { i, r in withUnsafeBytes(of: dimension(i).littleEndian) { Array($0) } + r }
  }

  @Test func fvecsRoundTripAndLimit() throws {
    let dir = try TemporaryDirectory()
    let x = try Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0) * 0.5 - 1 })
    try Vecs.writeFvecs(x, to: dir.path + "/x.fvecs")
    #expect(try Vecs.readFvecs(dir.path + "/x.fvecs") == x)
    let first = try Vecs.readFvecs(dir.path + "/x.fvecs", limit: 2)
    #expect(first.shape == [2, 4] && first.scalars == Array(x.scalars[0..<8]))
    // Layout: 3 records of 4 + 16 bytes, each starting with the dimension 4.
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path + "/x.fvecs")))
    #expect(bytes.count == 60 && Array(bytes[20..<24]) == [4, 0, 0, 0])
    #expect(throws: DataError.self) { try Vecs.writeFvecs(Tensor([1, 2]), to: dir.path + "/bad.fvecs") }
  }

  @Test func ivecsAndBvecs() throws {
    let dir = try TemporaryDirectory()
    let ints: [[Int32]] = [[1, -2, 3], [40, 50, 60]]
    let ivecs = try dir.write(
      "gt.ivecs",
      vecs(ints.map { r in r.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } } }) { _ in 3 })
    #expect(try Vecs.readIvecs(ivecs) == IntegerArray(shape: [2, 3], values: [1, -2, 3, 40, 50, 60]))
    let bvecs = try dir.write("b.bvecs", vecs([[0, 255], [7, 8], [9, 10]]) { _ in 2 })
    let b = try Vecs.readBvecs(bvecs)
    #expect(b.shape == [3, 2] && b.scalars == [0, 255, 7, 8, 9, 10])
    let zipped = try dir.writeGzip("b.bvecs.gz", vecs([[0, 255], [7, 8], [9, 10]]) { _ in 2 })
    #expect(try Vecs.readBvecs(zipped) == b)
  }

  @Test func refusesCorruptVecs() throws {
    let dir = try TemporaryDirectory()
    let rows: [[UInt8]] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    let mismatch = try dir.write("mismatch.bvecs", vecs(rows) { $0 == 2 ? 4 : 3 })
    expectDataError(mismatch, ["vector 2 has dimension 4, but the first has 3"]) { _ = try Vecs.readBvecs(mismatch) }
    let cut = try dir.write("cut.bvecs", Array(vecs(rows) { _ in 3 }.dropLast(2)))
    expectDataError(cut, ["truncated", "3 vectors of dimension 3 (21 bytes)", "has 19 bytes"]) {
      _ = try Vecs.readBvecs(cut)
    }
    let zero = try dir.write("zero.fvecs", vecs([[]]) { _ in 0 })
    expectDataError(zero, ["declares dimension 0"]) { _ = try Vecs.readFvecs(zero) }
    let negative = try dir.write("neg.fvecs", vecs([[1, 2, 3, 4]]) { _ in -1 })
    expectDataError(negative, ["declares dimension -1"]) { _ = try Vecs.readFvecs(negative) }
    let empty = try dir.write("empty.ivecs", [])
    expectDataError(empty, ["empty"]) { _ = try Vecs.readIvecs(empty) }
    // A float file read as fvecs whose "dimension" is huge garbage.
    let text = try dir.write("text.fvecs", Array("hello world, this is text".utf8))
    expectDataError(text, ["declares dimension"]) { _ = try Vecs.readFvecs(text) }
  }
}
