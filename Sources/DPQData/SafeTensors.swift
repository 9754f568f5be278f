import DPQTensor
import Foundation

/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header,
/// then raw little-endian arrays), so dpq models and indexes open in Python's `safetensors`,
/// NumPy and PyTorch. DESIGN.md section 8.
public struct SafeTensors {
  /// Element types dpq stores: Float32 parameters, UInt8/UInt16 codes, Int64 ids.
  public enum DType: String, CaseIterable {
    case float32 = "F32"
    case uint8 = "U8"
    case uint16 = "U16"
    case int64 = "I64"
    case int32 = "I32"
    case float64 = "F64"

    public var byteCount: Int {
      switch self {
      case .uint8: return 1
      case .uint16: return 2
      case .float32, .int32: return 4
      case .int64, .float64: return 8
      }
    }
  }

  /// One named array: its type, shape and raw little-endian bytes.
  public struct Entry {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let bytes: [UInt8]

    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
      self.name = name
      self.dtype = dtype
      self.shape = shape
      self.bytes = bytes
    }

    /// A Float32 entry from a tensor.
    public init(name: String, tensor: Tensor) {
      self.name = name
      dtype = .float32
      shape = tensor.shape
      bytes = tensor.withUnsafeBufferPointer { b in
        Array(UnsafeRawBufferPointer(start: b.baseAddress, count: b.count * 4))
      }
    }

    /// An integer entry (stored as the given integer dtype).
    public init(name: String, integers: [Int], shape: [Int], dtype: DType) {
      self.name = name
      self.dtype = dtype
      self.shape = shape
      var out = [UInt8]()
      out.reserveCapacity(integers.count * dtype.byteCount)
      for v in integers {
        var x = UInt64(bitPattern: Int64(v))
        for _ in 0..<dtype.byteCount {
          out.append(UInt8(x & 0xff))
          x >>= 8
        }
      }
      bytes = out
    }
  }

  public var entries: [Entry]
  public var metadata: [String: String]

  public init(entries: [Entry] = [], metadata: [String: String] = [:]) {
    self.entries = entries
    self.metadata = metadata
  }

  public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }
}

extension SafeTensors {
  /// Largest JSON header accepted (the reference implementation uses 100 MB).
  static let maxHeaderBytes = 100_000_000

  /// Serialises to the safetensors byte layout; entries keep their order in the data section.
  public func encoded() throws -> [UInt8] {
    var header: [String: Any] = [:]
    var offset = 0
    for e in entries {
      header[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]]
      offset += e.bytes.count
    }
    header["__metadata__"] = try metadataWithChecksums()
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    // pad with spaces so the data section starts 8-byte aligned, as the reference writer does
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var out = [UInt8]()
    out.reserveCapacity(8 + json.count + offset)
    var n = UInt64(json.count)
    for _ in 0..<8 {
      out.append(UInt8(n & 0xff))
      n >>= 8
    }
    out.append(contentsOf: json)
    for e in entries { out.append(contentsOf: e.bytes) }
    return out
  }

  /// Writes the file atomically: a temporary file beside it, then a rename, so a failure never
  /// leaves a half-written file in place of an earlier good one.
  public func write(to path: String) throws {
    let bytes = try encoded()
    try AtomicWriter.write(path) { try $0.write(bytes) }
  }

  /// Reads and validates a file (SafeTensors+Validation.swift): header length within the file,
  /// JSON well-formed, every tensor's dtype known, its byte range inside the data section and
  /// equal to its shape's size, the tensors back to back, and their checksums when present.
  public static func read(_ path: String) throws -> SafeTensors { try readValidated(path) }

  /// Parses safetensors bytes; `path` only names the source in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> SafeTensors {
    try decodeValidated(bytes, path: path)
  }

  /// The named Float32 tensor, checked against an expected shape when one is given.
  public func tensor(_ name: String, shape expected: [Int]? = nil, path: String = "safetensors") throws -> Tensor {
    guard let e = entry(name) else { throw DataError.missingEntry(path: path, name: name) }
    if let expected, expected != e.shape {
      throw DataError.badEntry(path: path, name: name, reason: "shape \(e.shape), expected \(expected)")
    }
    let count = e.shape.reduce(1, *)
    var values = [Float](repeating: 0, count: count)
    switch e.dtype {
    case .float32:
      values.withUnsafeMutableBytes { dst in e.bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
    case .float64:
      e.bytes.withUnsafeBytes { raw in
        for i in 0..<count { values[i] = Float(raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
      }
    default:
      throw DataError.badEntry(path: path, name: name, reason: "dtype \(e.dtype.rawValue), expected F32")
    }
    return try Tensor(shape: e.shape, scalars: values)
  }

  /// The named integer array (any integer dtype) as Ints.
  public func integers(_ name: String, path: String = "safetensors") throws -> (values: [Int], shape: [Int]) {
    guard let e = entry(name) else { throw DataError.missingEntry(path: path, name: name) }
    let w = e.dtype.byteCount
    guard [DType.uint8, .uint16, .int32, .int64].contains(e.dtype) else {
      throw DataError.badEntry(path: path, name: name, reason: "dtype \(e.dtype.rawValue), expected an integer type")
    }
    let signed = e.dtype == .int32 || e.dtype == .int64
    let n = e.shape.reduce(1, *)
    var out = [Int](repeating: 0, count: n)
    for i in 0..<n {
      var x: UInt64 = 0
      for b in (0..<w).reversed() { x = x << 8 | UInt64(e.bytes[i * w + b]) }
      if signed && w < 8 && x >> (w * 8 - 1) & 1 == 1 { x |= ~UInt64(0) << (w * 8) }
      out[i] = Int(Int64(bitPattern: x))
    }
    return (out, e.shape)
  }
}
