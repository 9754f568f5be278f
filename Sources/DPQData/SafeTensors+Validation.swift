import CZlib
import DPQTensor
import Foundation

/// Reading a safetensors file without trusting it: the header length is checked against the file
/// size before the header is read, the header is validated (integer shapes, every tensor's bytes
/// inside the data section, no overlaps, gaps or trailing bytes) before any tensor is allocated,
/// and the tensors are then read one at a time. A whole-file read came first before: a 3 GB
/// sparse file with a bogus header cost 31 s and 6.3 GB before it was refused.
///
/// Files dpq writes carry a CRC-32 per tensor in `__metadata__` (`dpq_crc32`), checked on load;
/// files without one (written by Python's safetensors) load as before. The record also holds a
/// CRC of the layout dpq wrote (names, dtypes, shapes, offsets): a file another writer laid out
/// anew while copying dpq's metadata (a PyTorch user saving new weights with a dpq file's
/// configuration) has stale checksums, and they are not applied to it.
extension SafeTensors {
  /// Where one tensor's bytes lie, as its validated header entry says.
  struct Layout {
    let name: String
    let dtype: DType
    let shape: [Int]
    let begin: Int, end: Int
  }

  /// The metadata key of the checksums: a JSON object `{"layout": hex, "tensors": {name: hex}}`.
  static let checksumKey = "dpq_crc32"

  /// Reads and validates the file at `path` with bounded reads.
  static func readValidated(_ path: String) throws -> SafeTensors {
    let file = try DataFile(path: path)
    let lengthBytes = try file.readBytes(8, detail: "a safetensors file starts with an 8-byte header length")
    let headerLength = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    try checkHeaderLength(headerLength, available: UInt64(file.remainingBound), fileSize: file.fileSize, path: path)
    let json = try file.readBytes(Int(headerLength), detail: "the header length says \(headerLength) bytes of JSON")
    // a gzip file's data length is known only at its end: the bound stands in, and checkEnd
    // below refuses trailing bytes
    let dataLength = file.isCompressed ? file.remainingBound : file.fileSize - 8 - Int(headerLength)
    let (layouts, metadata) = try parseHeader(json, path: path, dataLength: dataLength, exact: !file.isCompressed)
    var entries: [Entry] = []
    for l in layouts {
      try file.checkAvailable(
        l.end - l.begin, detail: "tensor '\(l.name)' spans bytes \(l.begin)..<\(l.end) of the data section")
      entries.append(
        Entry(
          name: l.name, dtype: l.dtype, shape: l.shape,
          bytes: try file.readBytes(l.end - l.begin, detail: "tensor '\(l.name)'")))
    }
    try file.checkEnd(detail: "after the last tensor")
    return try checked(SafeTensors(entries: entries, metadata: metadata), path: path)
  }

  /// Parses and validates safetensors bytes already in memory (fuzzing, tests).
  static func decodeValidated(_ bytes: [UInt8], path: String) throws -> SafeTensors {
    guard bytes.count >= 8 else {
      throw DataError.truncated(
        path: path, expected: 8, actual: bytes.count, detail: "a safetensors file starts with an 8-byte header length",
        decompressed: false)
    }
    let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    try checkHeaderLength(headerLength, available: UInt64(bytes.count - 8), fileSize: bytes.count, path: path)
    let dataStart = 8 + Int(headerLength)
    let (layouts, metadata) = try parseHeader(
      Array(bytes[8..<dataStart]), path: path, dataLength: bytes.count - dataStart)
    let entries = layouts.map { l in
      Entry(
        name: l.name, dtype: l.dtype, shape: l.shape, bytes: Array(bytes[(dataStart + l.begin)..<(dataStart + l.end)]))
    }
    return try checked(SafeTensors(entries: entries, metadata: metadata), path: path)
  }

  static func checkHeaderLength(_ length: UInt64, available: UInt64, fileSize: Int, path: String) throws {
    guard length <= UInt64(maxHeaderBytes) else {
      throw DataError.badHeader(
        path: path, reason: "not a safetensors file: its header length \(length) exceeds \(maxHeaderBytes) bytes")
    }
    guard length <= available else {
      throw DataError.truncated(
        path: path, expected: 8 + Int(length), actual: fileSize,
        detail: "the header length says \(length) bytes of JSON", decompressed: false)
    }
  }

  /// The header's tensors in data order and its metadata, after checking every entry against a
  /// data section of `dataLength` bytes.
  static func parseHeader(_ json: [UInt8], path: String, dataLength: Int, exact: Bool = true) throws -> (
    layouts: [Layout], metadata: [String: String]
  ) {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json)), let header = object as? [String: Any] else {
      throw DataError.badHeader(path: path, reason: "not a safetensors file: the header is not a JSON object")
    }
    var metadata: [String: String] = [:]
    if let meta = header["__metadata__"] {
      guard let m = meta as? [String: Any] else {
        throw DataError.badHeader(path: path, reason: "__metadata__ is not an object")
      }
      for (k, v) in m {
        guard let s = v as? String else {
          throw DataError.badHeader(path: path, reason: "__metadata__ value for '\(k)' is not a string")
        }
        metadata[k] = s
      }
    }
    var layouts: [Layout] = []
    for (name, value) in header where name != "__metadata__" {
      guard let info = value as? [String: Any], let dt = info["dtype"] as? String,
        let shapeAny = info["shape"] as? [Any], let offsAny = info["data_offsets"] as? [Any]
      else {
        throw DataError.badHeader(path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
      }
      guard let dtype = DType(rawValue: dt) else {
        throw DataError.badEntry(
          path: path, name: name,
          reason: "unsupported dtype \(dt) (dpq reads \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      let shape = shapeAny.compactMap(integer)
      let offs = offsAny.compactMap(integer)
      guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }), offs.count == 2, offsAny.count == 2 else {
        throw DataError.badHeader(
          path: path,
          reason: "entry '\(name)' has a malformed shape or data_offsets (each must be a non-negative integer)")
      }
      var elements = 1
      for d in shape {
        let (p, o) = elements.multipliedReportingOverflow(by: d)
        guard !o, p <= Tensor.elementLimit else {
          throw DataError.badEntry(path: path, name: name, reason: "shape \(shape) is too large")
        }
        elements = p
      }
      let (begin, end) = (offs[0], offs[1])
      guard begin >= 0, end >= begin, end <= dataLength else {
        throw DataError.truncated(
          path: path, expected: 8 + json.count + Swift.max(begin, end), actual: 8 + json.count + dataLength,
          detail: "tensor '\(name)' spans bytes \(begin)..<\(end) of the data section", decompressed: false)
      }
      guard end - begin == elements * dtype.byteCount else {
        throw DataError.badEntry(
          path: path, name: name,
          reason: "shape \(shape) of \(dt) needs \(elements * dtype.byteCount) bytes, header gives \(end - begin)")
      }
      layouts.append(Layout(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
    }
    layouts.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
    // the data section is the tensors back to back, as the reference implementation requires
    var next = 0
    for l in layouts {
      guard l.begin >= next else {
        throw DataError.badEntry(
          path: path, name: l.name,
          reason: "bytes \(l.begin)..<\(l.end) overlap the previous tensor (which ends at \(next))")
      }
      guard l.begin == next else {
        throw DataError.badEntry(
          path: path, name: l.name,
          reason: "starts at byte \(l.begin) of the data section, leaving bytes \(next)..<\(l.begin) unused")
      }
      next = l.end
    }
    guard !exact || next == dataLength else {
      throw DataError.badValue(
        path: path,
        reason: "\(dataLength - next) trailing bytes after the last tensor (the data section ends at byte \(next))")
    }
    return (layouts, metadata)
  }

  /// A JSON number that is an integer (not a fraction, not a boolean).
  private static func integer(_ value: Any) -> Int? {
    // JSON's true and false arrive as NSNumbers too; their type code is "c"
    guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
    let d = n.doubleValue
    guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
    return n.intValue
  }

  // MARK: checksums

  /// CRC-32 of one tensor's bytes.
  static func crc(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { b in
      var c = crc32(0, nil, 0)
      var offset = 0
      while offset < b.count {
        let n = Swift.min(b.count - offset, 1 << 30)
        c = crc32(c, b.baseAddress! + offset, uInt(n))
        offset += n
      }
      return UInt32(c)
    }
  }

  /// CRC-32 of the data layout of `entries` in file order (offsets are back to back).
  static func layoutChecksum(_ entries: [Entry]) -> UInt32 {
    var offset = 0
    var text = ""
    for e in entries {
      text += "\(e.name)|\(e.dtype.rawValue)|\(e.shape)|\(offset)|\(offset + e.bytes.count)\n"
      offset += e.bytes.count
    }
    return crc(Array(text.utf8))
  }

  /// The metadata to write: `metadata` plus the checksums of every entry and of the layout.
  func metadataWithChecksums() throws -> [String: String] {
    var sums: [String: String] = [:]
    for e in entries { sums[e.name] = String(SafeTensors.crc(e.bytes), radix: 16) }
    let record: [String: Any] = ["layout": String(SafeTensors.layoutChecksum(entries), radix: 16), "tensors": sums]
    var out = metadata
    let json = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    out[SafeTensors.checksumKey] = String(decoding: json, as: UTF8.self)
    return out
  }

  /// `file` (entries in file order) after checking the checksums it carries, which are removed
  /// from its metadata.
  static func checked(_ file: SafeTensors, path: String) throws -> SafeTensors {
    var file = file
    guard let text = file.metadata.removeValue(forKey: checksumKey) else { return file }
    guard let record = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
      let layout = (record["layout"] as? String).flatMap({ UInt32($0, radix: 16) }),
      let sums = record["tensors"] as? [String: String]
    else {
      throw DataError.badHeader(path: path, reason: "the checksums in __metadata__ (\(checksumKey)) are malformed")
    }
    // laid out anew by another writer that kept dpq's metadata: the checksums are not this file's
    guard layoutChecksum(file.entries) == layout else { return file }
    for e in file.entries {
      guard let expected = sums[e.name].flatMap({ UInt32($0, radix: 16) }) else {
        throw DataError.badEntry(
          path: path, name: e.name, reason: "has no checksum in __metadata__ (\(checksumKey)); the header was changed")
      }
      let actual = crc(e.bytes)
      guard actual == expected else {
        throw DataError.badEntry(
          path: path, name: e.name,
          reason:
            "is corrupt: its CRC-32 is \(String(actual, radix: 16)), the file recorded \(String(expected, radix: 16)) (a tool that rewrote the tensors in place must drop \(checksumKey) from __metadata__)"
        )
      }
    }
    return file
  }
}
