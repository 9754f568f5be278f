import Foundation

/// PyTorch files often store weights as float16 or bfloat16 (`model.half()`, mixed-precision
/// training). dpq computes in Float32, so these readers widen such tensors to F32 before the
/// usual parsing and validation in `decode`, which then sees an ordinary F32 file.
extension SafeTensors {
  /// Reads a file like `read`, with F16 and BF16 tensors converted to F32 (exactly: every
  /// half-precision value is a Float32 value).
  public static func readWideningHalfPrecision(_ path: String) throws -> SafeTensors {
    guard let data = FileManager.default.contents(atPath: path) else {
      if !FileManager.default.fileExists(atPath: path) { throw DataError.missing(path: path, hint: "") }
      throw DataError.unreadable(path: path, reason: "permission denied or not a file")
    }
    return try decode(widenedHalfPrecision([UInt8](data), path: path), path: path)
  }

  /// The file's bytes with every F16/BF16 tensor rewritten as F32 (header and data); other
  /// tensors are copied unchanged. Bytes without half-precision tensors come back as they are,
  /// and anything malformed is left for `decode` to report.
  static func widenedHalfPrecision(_ bytes: [UInt8], path: String) throws -> [UInt8] {
    guard bytes.count >= 8 else { return bytes }
    var length: UInt64 = 0
    for i in (0..<8).reversed() { length = length << 8 | UInt64(bytes[i]) }
    guard length <= UInt64(maxHeaderBytes), 8 + Int(length) <= bytes.count,
      let header = (try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + Int(length))]))) as? [String: Any]
    else {
      return bytes
    }
    let dataStart = 8 + Int(length)
    let isHalf = { (info: Any) -> Bool in ["F16", "BF16"].contains((info as? [String: Any])?["dtype"] as? String) }
    guard header.contains(where: { $0.key != "__metadata__" && isHalf($0.value) }) else { return bytes }

    // Every tensor's byte range, checked here because the rewrite copies from it.
    var tensors: [(name: String, info: [String: Any], begin: Int, end: Int)] = []
    for (name, value) in header where name != "__metadata__" {
      guard let info = value as? [String: Any], let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
        let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue,
        begin >= 0, end >= begin, end <= bytes.count - dataStart
      else {
        return bytes
      }
      tensors.append((name, info, begin, end))
    }
    tensors.sort { $0.begin < $1.begin }
    var newHeader: [String: Any] = [:]
    if let meta = header["__metadata__"] { newHeader["__metadata__"] = meta }
    var data: [UInt8] = []
    for t in tensors {
      let source = bytes[(dataStart + t.begin)..<(dataStart + t.end)]
      var info = t.info
      let begin = data.count
      if let dtype = info["dtype"] as? String, dtype == "F16" || dtype == "BF16" {
        guard source.count % 2 == 0 else {
          throw DataError.badEntry(
            path: path, name: t.name,
            reason: "\(dtype) data of \(source.count) bytes is not a whole number of 2-byte values")
        }
        data.reserveCapacity(data.count + source.count * 2)
        var i = source.startIndex
        while i < source.endIndex {
          let bits = UInt16(source[i]) | UInt16(source[i + 1]) << 8
          let value = dtype == "F16" ? floatFromHalf(bits) : Float(bitPattern: UInt32(bits) << 16)
          withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
          i += 2
        }
        info["dtype"] = "F32"
      } else {
        data.append(contentsOf: source)
      }
      info["data_offsets"] = [begin, data.count]
      newHeader[t.name] = info
    }
    var json = try JSONSerialization.data(withJSONObject: newHeader, options: [.sortedKeys])
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var out: [UInt8] = []
    out.reserveCapacity(8 + json.count + data.count)
    var n = UInt64(json.count)
    for _ in 0..<8 {
      out.append(UInt8(n & 0xff))
      n >>= 8
    }
    out.append(contentsOf: json)
    out.append(contentsOf: data)
    return out
  }

  /// IEEE 754 binary16 to Float32, subnormals, infinities and NaN included.
  public static func floatFromHalf(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = UInt32(h >> 10) & 0x1f
    let mantissa = UInt32(h) & 0x3ff
    if exponent == 0 {
      let magnitude = Float(mantissa) * 0x1p-24 // subnormal (or zero): mantissa * 2^-24
      return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13) }
    return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
  }
}
