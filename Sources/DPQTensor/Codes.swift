/// Quantization codes of n items with M blocks each, stored unpacked as n x M integers (faiss's
/// layout): one byte per block when K <= 256, two bytes when K <= 65,536.
public struct Codes: Equatable, Sendable {
  public enum Storage: Equatable, Sendable {
    case uint8([UInt8])
    case uint16([UInt16])
  }

  /// Number of encoded items (n).
  public internal(set) var count: Int
  /// Codes per item (M).
  public let blockCount: Int
  /// Codewords per block (K); every code is below it.
  public let codewordCount: Int
  public internal(set) var storage: Storage

  /// Zero codes for `count` items; the element width follows from `codewordCount`.
  public init(count: Int, blockCount: Int, codewordCount: Int) throws {
    guard count >= 0, blockCount > 0, codewordCount > 0, codewordCount <= 65_536 else {
      throw TensorError.invalidArgument(
        op: "Codes",
        reason: "need count >= 0, blocks > 0 and 0 < K <= 65536 (got n=\(count), M=\(blockCount), K=\(codewordCount))")
    }
    self.count = count
    self.blockCount = blockCount
    self.codewordCount = codewordCount
    storage =
      codewordCount <= 256
      ? .uint8([UInt8](repeating: 0, count: count * blockCount))
      : .uint16([UInt16](repeating: 0, count: count * blockCount))
  }

  /// Codes from row-major values (item-major: item i's M codes are contiguous).
  public init(count: Int, blockCount: Int, codewordCount: Int, values: [Int]) throws {
    try self.init(count: count, blockCount: blockCount, codewordCount: codewordCount)
    guard values.count == count * blockCount else {
      throw TensorError.invalidArgument(
        op: "Codes", reason: "expected \(count * blockCount) codes, got \(values.count)")
    }
    for (i, v) in values.enumerated() {
      guard v >= 0 && v < codewordCount else {
        throw TensorError.indexOutOfRange(op: "Codes", index: v, bound: codewordCount)
      }
      self[i / blockCount, i % blockCount] = v
    }
  }

  /// Bytes per stored code (1 or 2).
  public var bytesPerCode: Int { codewordCount <= 256 ? 1 : 2 }

  /// The code of item `item` in block `block`.
  public subscript(item: Int, block: Int) -> Int {
    get {
      switch storage {
      case .uint8(let a): return Int(a[item * blockCount + block])
      case .uint16(let a): return Int(a[item * blockCount + block])
      }
    }
    set {
      switch storage {
      case .uint8(var a):
        storage = .uint8([])
        a[item * blockCount + block] = UInt8(newValue)
        storage = .uint8(a)
      case .uint16(var a):
        storage = .uint16([])
        a[item * blockCount + block] = UInt16(newValue)
        storage = .uint16(a)
      }
    }
  }

  /// All codes as Ints, item-major.
  public var values: [Int] {
    switch storage {
    case .uint8(let a): return a.map(Int.init)
    case .uint16(let a): return a.map(Int.init)
    }
  }

  /// Writes codes through a raw pointer of the stored width (hot encoders use this).
  public mutating func withUnsafeMutableUInt8Buffer<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) rethrows
    -> R?
  {
    guard case .uint8(var a) = storage else { return nil }
    storage = .uint8([])
    defer { storage = .uint8(a) }
    return try a.withUnsafeMutableBufferPointer { try body($0) }
  }

  public mutating func withUnsafeMutableUInt16Buffer<R>(_ body: (UnsafeMutableBufferPointer<UInt16>) throws -> R)
    rethrows -> R?
  {
    guard case .uint16(var a) = storage else { return nil }
    storage = .uint16([])
    defer { storage = .uint16(a) }
    return try a.withUnsafeMutableBufferPointer { try body($0) }
  }

  /// The first `blocks` codes of every item (a shorter code from the same model).
  public func prefix(blocks: Int) throws -> Codes {
    guard blocks > 0 && blocks <= blockCount else {
      throw TensorError.invalidArgument(
        op: "Codes.prefix", reason: "blocks must be in 1...\(blockCount), got \(blocks)")
    }
    var out = try Codes(count: count, blockCount: blocks, codewordCount: codewordCount)
    for i in 0..<count { for m in 0..<blocks { out[i, m] = self[i, m] } }
    return out
  }

  /// Codes of the selected items, in the given order.
  public func rows(_ items: [Int]) throws -> Codes {
    var out = try Codes(count: items.count, blockCount: blockCount, codewordCount: codewordCount)
    for (r, i) in items.enumerated() {
      guard i >= 0 && i < count else { throw TensorError.indexOutOfRange(op: "Codes.rows", index: i, bound: count) }
      for m in 0..<blockCount { out[r, m] = self[i, m] }
    }
    return out
  }
}
