/// Growing a set of codes in place and moving it to and from files as raw bytes: the paths an
/// index of millions of items takes, so each costs time proportional to the codes it touches.
extension Codes {
  /// Appends the codes of `other` (same M and K): amortised time proportional to `other.count`,
  /// since the storage array grows geometrically instead of being rebuilt.
  public mutating func append(_ other: Codes) throws {
    guard other.blockCount == blockCount, other.codewordCount == codewordCount else {
      throw TensorError.invalidArgument(
        op: "Codes.append",
        reason:
          "codes of M=\(other.blockCount), K=\(other.codewordCount) cannot join codes of M=\(blockCount), K=\(codewordCount)"
      )
    }
    if count == 0 && other.bytesPerCode == bytesPerCode {
      self = other
      return
    } // shares other's storage
    switch (storage, other.storage) {
    case (.uint8(var a), .uint8(let b)):
      storage = .uint8([]) // keeps `a` uniquely referenced, so the append does not copy it
      a.append(contentsOf: b)
      storage = .uint8(a)
    case (.uint16(var a), .uint16(let b)):
      storage = .uint16([])
      a.append(contentsOf: b)
      storage = .uint16(a)
    default:
      throw TensorError.invalidArgument(
        op: "Codes.append",
        reason: "codes store \(other.bytesPerCode)-byte values, these store \(bytesPerCode)-byte values")
    }
    count += other.count
  }

  /// Reserves storage for `items` codes in total, so that appending up to that many allocates once.
  public mutating func reserveCapacity(items: Int) {
    switch storage {
    case .uint8(var a):
      storage = .uint8([])
      a.reserveCapacity(items * blockCount)
      storage = .uint8(a)
    case .uint16(var a):
      storage = .uint16([])
      a.reserveCapacity(items * blockCount)
      storage = .uint16(a)
    }
  }

  /// The stored values as little-endian bytes (1 or 2 per code), item-major: what a file holds.
  public var littleEndianBytes: [UInt8] {
    switch storage {
    case .uint8(let a):
      return a
    case .uint16(let a):
      var out = [UInt8](repeating: 0, count: a.count * 2)
      for (i, v) in a.enumerated() {
        out[2 * i] = UInt8(v & 0xFF)
        out[2 * i + 1] = UInt8(v >> 8)
      }
      return out
    }
  }

  /// Codes from little-endian bytes (1 byte per code when K <= 256, else 2), each checked to be
  /// below K; without the detour through one `Int` per code.
  public init(count: Int, blockCount: Int, codewordCount: Int, littleEndianBytes bytes: [UInt8]) throws {
    let width = codewordCount <= 256 ? 1 : 2
    guard count >= 0, blockCount > 0, bytes.count == count * blockCount * width else {
      throw TensorError.invalidArgument(
        op: "Codes",
        reason: "expected \(count * blockCount * width) bytes for \(count) x \(blockCount) codes, got \(bytes.count)")
    }
    try self.init(count: 0, blockCount: blockCount, codewordCount: codewordCount)
    self.count = count
    if width == 1 {
      if codewordCount < 256, let bad = bytes.firstIndex(where: { Int($0) >= codewordCount }) {
        throw TensorError.indexOutOfRange(op: "Codes", index: Int(bytes[bad]), bound: codewordCount)
      }
      storage = .uint8(bytes)
    } else {
      var values = [UInt16](repeating: 0, count: count * blockCount)
      for i in values.indices {
        let v = UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8
        guard Int(v) < codewordCount else {
          throw TensorError.indexOutOfRange(op: "Codes", index: Int(v), bound: codewordCount)
        }
        values[i] = v
      }
      storage = .uint16(values)
    }
  }
}
