import DPQTensor

/// The `.fvecs`, `.ivecs` and `.bvecs` formats of the INRIA ANN benchmarks (SIFT1M, GIST1M,
/// SIFT1B): each vector is a little-endian int32 dimension followed by that many float32, int32
/// or uint8 values. Every vector must have the dimension of the first.
public enum Vecs {
  /// Largest dimension accepted; real files have at most a few thousand.
  public static let maxDimension = 1 << 20

  /// Reads `.fvecs` as `[n, d]`; `limit` reads only the first vectors (e.g. of SIFT1B).
  public static func readFvecs(_ path: String, limit: Int? = nil) throws -> Tensor {
    try readFloats(path, elementSize: 4, limit: limit) { row, raw, d in
      row.update(from: raw.assumingMemoryBound(to: Float.self), count: d)
    }
  }

  /// Reads `.bvecs` (bytes) as `[n, d]` Float32 values in 0...255.
  public static func readBvecs(_ path: String, limit: Int? = nil) throws -> Tensor {
    try readFloats(path, elementSize: 1, limit: limit) { row, raw, d in
      let bytes = raw.assumingMemoryBound(to: UInt8.self)
      for i in 0..<d { row[i] = Float(bytes[i]) }
    }
  }

  /// Reads `.ivecs` (e.g. ground-truth neighbour lists) as an `[n, d]` integer array.
  public static func readIvecs(_ path: String, limit: Int? = nil) throws -> IntegerArray {
    var values: [Int] = []
    var rows = 0
    var dimension = 0
    try readRecords(path, elementSize: 4, limit: limit) { n, d in
      rows = n
      dimension = d
      values = [Int](repeating: 0, count: n * d)
    } row: { index, raw, d in
      let ints = raw.assumingMemoryBound(to: Int32.self)
      for i in 0..<d { values[index * d + i] = Int(ints[i]) }
    }
    return try IntegerArray(shape: [rows, dimension], values: values)
  }

  /// Writes an `[n, d]` tensor as `.fvecs` (atomically).
  public static func writeFvecs(_ vectors: Tensor, to path: String) throws {
    guard vectors.rank == 2, vectors.shape[1] > 0 else {
      throw DataError.invalidArgument(
        op: "writeFvecs", reason: "need an [n, d] tensor with d > 0, got shape \(shapeString(vectors.shape))")
    }
    let (n, d) = (vectors.shape[0], vectors.shape[1])
    var dimension = Int32(d)
    try AtomicWriter.write(path) { w in
      try vectors.withUnsafeBufferPointer { x in
        guard let base = x.baseAddress else { return }
        for i in 0..<n {
          try withUnsafeBytes(of: &dimension) { try w.write($0) }
          try w.write(UnsafeRawBufferPointer(start: base + i * d, count: 4 * d))
        }
      }
    }
  }

  static func readFloats(
    _ path: String, elementSize: Int, limit: Int?,
    convert: (UnsafeMutablePointer<Float>, UnsafeRawPointer, Int) -> Void
  ) throws -> Tensor {
    var tensor = try Tensor.zeros([0, 0])
    try readRecords(path, elementSize: elementSize, limit: limit) { n, d in
      tensor = Tensor(shape: [n, d]) { _ in } // every row is written below
    } row: { index, raw, d in
      tensor.withUnsafeMutableBufferPointer { out in
        if let base = out.baseAddress { convert(base + index * d, raw, d) }
      }
    }
    return tensor
  }

  /// The shared record reader: learns d from the first record, checks the file holds a whole
  /// number of records before allocating (`allocate(n, d)`), then hands each record's values to
  /// `row` after checking its dimension.
  static func readRecords(
    _ path: String, elementSize: Int, limit: Int?,
    allocate: (Int, Int) throws -> Void,
    row: (Int, UnsafeRawPointer, Int) throws -> Void
  ) throws {
    if let limit, limit < 0 {
      throw DataError.invalidArgument(op: "read vecs", reason: "limit must be non-negative, got \(limit)")
    }
    let file = try DataFile(path: path)
    // A gzip file's length is unknown until it is decompressed: read it into memory (bounded).
    let memory = file.isCompressed ? try file.readAll(limit: Tensor.elementLimit * 4, what: "a vecs file") : nil
    var memoryOffset = 0
    let total = memory?.count ?? file.fileSize
    func readExactly(_ p: UnsafeMutableRawPointer, _ count: Int, _ detail: String) throws {
      if let memory {
        guard memoryOffset + count <= memory.count else {
          throw DataError.truncated(
            path: path, expected: memoryOffset + count, actual: memory.count, detail: detail, decompressed: true)
        }
        memory.withUnsafeBytes { m in
          if let base = m.baseAddress { p.copyMemory(from: base + memoryOffset, byteCount: count) }
        }
        memoryOffset += count
      } else {
        try file.readExactly(into: p, count: count, detail: detail)
      }
    }
    var dimension: Int32 = 0
    try readExactly(&dimension, 4, "a vector starts with a 4-byte dimension")
    let d = Int(Int32(littleEndian: dimension))
    guard d > 0, d <= maxDimension else {
      throw DataError.badValue(
        path: path,
        reason: "the first vector declares dimension \(d) (expected 1 to \(maxDimension)); is this really a vecs file?")
    }
    let recordSize = 4 + d * elementSize
    let whole = total / recordSize
    if total % recordSize != 0 {
      throw DataError.truncated(
        path: path, expected: (whole + 1) * recordSize, actual: total,
        detail: "\(whole + 1) vectors of dimension \(d)", decompressed: memory != nil)
    }
    let n = Swift.min(whole, limit ?? whole)
    guard n.multipliedReportingOverflow(by: d).partialValue <= Tensor.elementLimit else {
      throw DataError.tooLarge(
        path: path, reason: "\(n) vectors of dimension \(d) exceed dpq's limit of \(Tensor.elementLimit) values")
    }
    try allocate(n, d)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: d * elementSize, alignment: 8)
    defer { scratch.deallocate() }
    for i in 0..<n {
      if i > 0 {
        try readExactly(&dimension, 4, "vector \(i) of dimension \(d)")
        let di = Int(Int32(littleEndian: dimension))
        guard di == d else {
          throw DataError.badValue(path: path, reason: "vector \(i) has dimension \(di), but the first has \(d)")
        }
      }
      try readExactly(scratch, d * elementSize, "vector \(i) of dimension \(d)")
      try row(i, UnsafeRawPointer(scratch), d)
    }
  }
}
