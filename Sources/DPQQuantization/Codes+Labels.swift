import DPQTensor

// MARK: codes <-> flat labels

extension Codes {
  /// Codes from n x M labels (item-major), each already checked to be below `codewordCount`.
  static func fromLabels(_ labels: [Int32], count: Int, blockCount: Int, codewordCount: Int) throws -> Codes {
    var codes = try Codes(count: count, blockCount: blockCount, codewordCount: codewordCount)
    if codewordCount <= 256 {
      _ = codes.withUnsafeMutableUInt8Buffer { b in
        for i in 0..<labels.count { b[i] = UInt8(truncatingIfNeeded: labels[i]) }
      }
    } else {
      _ = codes.withUnsafeMutableUInt16Buffer { b in
        for i in 0..<labels.count { b[i] = UInt16(truncatingIfNeeded: labels[i]) }
      }
    }
    return codes
  }

  /// All codes as Int32, item-major (what the decoders index with).
  var int32Values: [Int32] {
    switch storage {
    case .uint8(let a): return a.map { Int32($0) }
    case .uint16(let a): return a.map { Int32($0) }
    }
  }
}
