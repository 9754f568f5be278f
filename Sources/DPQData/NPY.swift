import DPQTensor

/// Element types dpq reads from and writes to `.npy` files (little-endian, as NumPy writes them
/// on every common machine).
public enum NPYDType: String, CaseIterable {
  case float32 = "<f4"
  case float64 = "<f8"
  case uint8 = "|u1"
  case int64 = "<i8"
  case int32 = "<i4"

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .uint8: return 1
    case .float32, .int32: return 4
    case .float64, .int64: return 8
    }
  }

  /// The type for a header's `descr`; `<u1` and `>u1` are the same byte as `|u1`.
  init?(descr: String) {
    if descr == "<u1" || descr == ">u1" || descr == "u1" {
      self = .uint8
      return
    }
    self.init(rawValue: descr)
  }
}

/// Integers with a shape: index files, `.ivecs` neighbour lists, integer `.npy` arrays.
public struct IntegerArray: Equatable {
  public let shape: [Int]
  /// Row-major values, `shape.reduce(1, *)` of them.
  public let values: [Int]

  public init(shape: [Int], values: [Int]) throws {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
      throw DataError.invalidArgument(
        op: "IntegerArray", reason: "shape \(shapeString(shape)) does not hold \(values.count) values")
    }
    self.shape = shape
    self.values = values
  }
}

/// An array as stored in a `.npy` file, in its own element type.
public struct NPYArray: Equatable, Sendable {
  public enum Values: Equatable, Sendable {
    case float32([Float])
    case float64([Double])
    case uint8([UInt8])
    case int64([Int64])
    case int32([Int32])
  }

  public let shape: [Int]
  public let values: Values

  /// An array after checking that `shape` holds exactly the values given.
  public init(shape: [Int], values: Values) throws {
    self.shape = shape
    self.values = values
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == count else {
      throw DataError.invalidArgument(
        op: "NPYArray", reason: "shape \(shapeString(shape)) does not hold \(count) values")
    }
  }

  public var dtype: NPYDType {
    switch values {
    case .float32: return .float32
    case .float64: return .float64
    case .uint8: return .uint8
    case .int64: return .int64
    case .int32: return .int32
    }
  }

  /// Number of elements.
  public var count: Int {
    switch values {
    case .float32(let v): return v.count
    case .float64(let v): return v.count
    case .uint8(let v): return v.count
    case .int64(let v): return v.count
    case .int32(let v): return v.count
    }
  }

  /// The values as a Float32 tensor of the same shape (float64 and integers are converted).
  public func tensor() throws -> Tensor {
    Tensor(shape: shape) { out in
      switch values {
      case .float32(let v): for i in v.indices { out[i] = v[i] }
      case .float64(let v): for i in v.indices { out[i] = Float(v[i]) }
      case .uint8(let v): for i in v.indices { out[i] = Float(v[i]) }
      case .int64(let v): for i in v.indices { out[i] = Float(v[i]) }
      case .int32(let v): for i in v.indices { out[i] = Float(v[i]) }
      }
    }
  }

  /// The values as integers; floating-point arrays are refused rather than rounded.
  public func integers() throws -> IntegerArray {
    let ints: [Int]
    switch values {
    case .uint8(let v): ints = v.map(Int.init)
    case .int64(let v): ints = v.map(Int.init)
    case .int32(let v): ints = v.map(Int.init)
    case .float32, .float64:
      throw DataError.invalidArgument(op: "integers", reason: "the array holds \(dtype.rawValue) floats, not integers")
    }
    return try IntegerArray(shape: shape, values: ints)
  }
}

/// NumPy's `.npy` format (versions 1.0 to 3.0): magic `\x93NUMPY`, version, header length, a
/// dict literal with `descr`, `fortran_order` and `shape`, then the raw little-endian values.
/// Reads plain or gzip-compressed files; writes are atomic (temporary file, then rename).
public enum NPY {
  static let supported = "float32 '<f4', float64 '<f8', uint8 '|u1', int64 '<i8', int32 '<i4', little-endian"
  static let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
  /// Largest header accepted; NumPy's own headers are a few hundred bytes.
  static let maxHeaderBytes = 1 << 20

  /// Reads an array in its stored element type.
  public static func read(_ path: String) throws -> NPYArray {
    let (file, header, dtype, count) = try open(path)
    let detail = describe(header)
    func load<T>(_: T.Type) throws -> [T] {
      try [T](unsafeUninitializedCapacity: count) { buffer, initialised in
        initialised = 0
        if count > 0, let base = buffer.baseAddress {
          try file.readExactly(into: base, count: count * MemoryLayout<T>.stride, detail: detail)
        }
        initialised = count
      }
    }
    let values: NPYArray.Values
    switch dtype {
    case .float32: values = .float32(try load(Float.self))
    case .float64: values = .float64(try load(Double.self))
    case .uint8: values = .uint8(try load(UInt8.self))
    case .int64: values = .int64(try load(Int64.self))
    case .int32: values = .int32(try load(Int32.self))
    }
    try file.checkEnd(detail: detail)
    return try NPYArray(shape: header.shape, values: values)
  }

  /// Reads any supported array straight into a Float32 tensor (float32 data without a copy).
  public static func readTensor(_ path: String) throws -> Tensor {
    let (file, header, dtype, count) = try open(path)
    let detail = describe(header)
    let tensor = try Tensor(shape: header.shape) { out in
      guard count > 0, let base = out.baseAddress else { return }
      if dtype == .float32 {
        try file.readExactly(into: base, count: 4 * count, detail: detail)
        return
      }
      let size = dtype.byteCount
      try file.readChunked(count * size, detail: detail, chunkSize: size << 14) { piece, offset in
        guard let raw = piece.baseAddress else { return }
        let o = base + offset / size
        let n = piece.count / size
        switch dtype {
        case .float64:
          for i in 0..<n { o[i] = Float(UnsafeRawPointer(raw).loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case .int64:
          for i in 0..<n { o[i] = Float(UnsafeRawPointer(raw).loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
        case .int32:
          for i in 0..<n { o[i] = Float(UnsafeRawPointer(raw).loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        case .uint8: for i in 0..<n { o[i] = Float(raw[i]) }
        case .float32: break
        }
      }
    }
    try file.checkEnd(detail: detail)
    return tensor
  }

  /// Reads an integer array (int64, int32 or uint8), e.g. a file of indices.
  public static func readIntegers(_ path: String) throws -> IntegerArray {
    let array = try read(path)
    guard array.dtype != .float32, array.dtype != .float64 else {
      throw DataError.unsupportedDType(
        path: path, dtype: "'\(array.dtype.rawValue)'", supported: "integers: int64 '<i8', int32 '<i4', uint8 '|u1'")
    }
    return try array.integers()
  }

  /// Writes an array in its element type.
  public static func write(_ array: NPYArray, to path: String) throws {
    let header = NPYHeader(descr: array.dtype.rawValue, fortranOrder: false, shape: array.shape)
    try AtomicWriter.write(path) { w in
      try w.write(encodedHeader(header))
      switch array.values {
      case .float32(let v): try v.withUnsafeBytes { try w.write($0) }
      case .float64(let v): try v.withUnsafeBytes { try w.write($0) }
      case .uint8(let v): try v.withUnsafeBytes { try w.write($0) }
      case .int64(let v): try v.withUnsafeBytes { try w.write($0) }
      case .int32(let v): try v.withUnsafeBytes { try w.write($0) }
      }
    }
  }

  /// Writes a tensor as float32 `'<f4'`.
  public static func write(_ tensor: Tensor, to path: String) throws {
    let header = NPYHeader(descr: NPYDType.float32.rawValue, fortranOrder: false, shape: tensor.shape)
    try AtomicWriter.write(path) { w in
      try w.write(encodedHeader(header))
      try tensor.withUnsafeBufferPointer { try w.write(UnsafeRawBufferPointer($0)) }
    }
  }

  /// Writes integers as int64 `'<i8'`, by default as a 1-D array.
  public static func write(integers: [Int], shape: [Int]? = nil, to path: String) throws {
    let array = try NPYArray(shape: shape ?? [integers.count], values: .int64(integers.map(Int64.init)))
    try write(array, to: path)
  }

  /// Magic, version, header length and the padded header: the data starts on a 64-byte boundary
  /// and the header ends with a newline, as NumPy writes it. Version 2.0 only for huge headers.
  static func encodedHeader(_ header: NPYHeader) -> [UInt8] {
    let literal = Array(header.literal.utf8)
    func paddedLength(prefix: Int) -> Int {
      let unpadded = prefix + literal.count + 1
      return literal.count + 1 + (64 - unpadded % 64) % 64
    }
    let small = paddedLength(prefix: 10) <= 65_535
    let length = paddedLength(prefix: small ? 10 : 12)
    var out = magic + [small ? 1 : 2, 0]
    out += (0..<(small ? 2 : 4)).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
    out += literal + [UInt8](repeating: 0x20, count: length - literal.count - 1) + [0x0a]
    return out
  }

  /// Opens and validates a file up to its data: magic, version, header, element type, layout,
  /// and the data size against the file size. Returns the file positioned at the data.
  static func open(_ path: String) throws -> (DataFile, NPYHeader, NPYDType, Int) {
    let file = try DataFile(path: path)
    let start = try file.readBytes(8, detail: "a .npy file starts with 8 bytes of magic and version")
    guard Array(start[0..<6]) == magic else {
      throw DataError.badMagic(path: path, found: hexString(start[0..<6]), expected: "93 4e 55 4d 50 59 (\\x93NUMPY)")
    }
    let (major, minor) = (start[6], start[7])
    let headerLength: Int
    switch major {
    case 1:
      let b = try file.readBytes(2, detail: "a version 1.0 header length")
      headerLength = Int(b[0]) | Int(b[1]) << 8
    case 2, 3:
      let b = try file.readBytes(4, detail: "a version \(major).0 header length")
      headerLength = b.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    default:
      throw DataError.badHeader(
        path: path, reason: "format version \(major).\(minor) is not supported (1.0 to 3.0 are)")
    }
    guard headerLength <= maxHeaderBytes else {
      throw DataError.lyingHeader(path: path, reason: "header length \(headerLength) is larger than any NumPy header")
    }
    let text = try file.readBytes(headerLength, detail: "header length field says \(headerLength) bytes")
    let header = try NPYHeader(parsing: String(decoding: text, as: UTF8.self), path: path)
    guard let dtype = NPYDType(descr: header.descr) else {
      let note = header.descr.hasPrefix(">") ? " (big-endian: convert with a.astype(a.dtype.newbyteorder('<')))" : ""
      throw DataError.unsupportedDType(path: path, dtype: "'\(header.descr)'\(note)", supported: supported)
    }
    if header.fortranOrder && header.shape.filter({ $0 > 1 }).count > 1 {
      throw DataError.unsupported(
        path: path,
        reason:
          "fortran_order is True (column-major data); dpq reads C-order arrays: save np.ascontiguousarray(a) instead")
    }
    var count = 1
    for d in header.shape {
      let (p, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow, p <= Tensor.elementLimit else {
        throw DataError.tooLarge(
          path: path,
          reason: "shape \(shapeString(header.shape)) has more elements than dpq's limit of \(Tensor.elementLimit)")
      }
      count = p
    }
    try file.checkAvailable(count * dtype.byteCount, detail: describe(header))
    return (file, header, dtype, count)
  }

  /// "header says shape (3, 4) of '<f4'", for messages.
  static func describe(_ header: NPYHeader) -> String {
    "header says shape \(shapeString(header.shape)) of '\(header.descr)'"
  }
}
