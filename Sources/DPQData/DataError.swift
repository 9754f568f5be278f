/// Errors raised while reading, writing, splitting or batching data. Every file error names the
/// file and says what is wrong with it, so a user can fix the file rather than guess.
public enum DataError: Error, CustomStringConvertible, Equatable {
  /// The file does not exist; `hint` says where such files usually come from.
  case missing(path: String, hint: String)
  /// The file exists but cannot be read (a directory, no permission, an I/O error).
  case unreadable(path: String, reason: String)
  /// The file has no bytes at all.
  case empty(path: String)
  /// The name ends in `.gz` but the file does not start with the gzip magic bytes 1f 8b.
  case notGzip(path: String, found: String)
  /// zlib refused the compressed stream (bad header, checksum mismatch, invalid codes).
  case corruptGzip(path: String, reason: String)
  /// The file does not start with the format's magic number.
  case badMagic(path: String, found: String, expected: String)
  /// The element type stored in the file is not one dpq reads.
  case unsupportedDType(path: String, dtype: String, supported: String)
  /// The file ends before the data its header (or its record structure) promises.
  /// `detail` says what was promised; `decompressed` when `actual` counts decompressed bytes.
  case truncated(path: String, expected: Int, actual: Int, detail: String, decompressed: Bool)
  /// The header contradicts the file: impossible dimensions, more data than declared.
  case lyingHeader(path: String, reason: String)
  /// The header cannot be parsed or misses a field.
  case badHeader(path: String, reason: String)
  /// The file uses a valid feature of its format that dpq does not read; `reason` says how to convert it.
  case unsupported(path: String, reason: String)
  /// The file declares more data than dpq will allocate.
  case tooLarge(path: String, reason: String)
  /// One line of a text file is wrong; `line` counts from 1.
  case badRecord(path: String, line: Int, reason: String)
  /// A value inside a binary file is invalid (a label out of range, a vector of the wrong size).
  case badValue(path: String, reason: String)
  /// Two files (or a file and an argument) disagree, e.g. a different number of items and labels.
  case inconsistent(reason: String)
  /// A data operation got an argument it cannot work with.
  case invalidArgument(op: String, reason: String)
  /// Writing a file failed; nothing is left at `path` (writes go through a temporary file).
  case writeFailed(path: String, reason: String)
  /// A file of named arrays (safetensors) has no array called `name`.
  case missingEntry(path: String, name: String)
  /// The array `name` of a file of named arrays has the wrong type, shape or size.
  case badEntry(path: String, name: String, reason: String)

  public var description: String {
    switch self {
    case .missing(let path, let hint):
      return "\(path): no such file" + (hint.isEmpty ? "" : " (\(hint))")
    case .unreadable(let path, let reason):
      return "\(path): cannot read: \(reason)"
    case .empty(let path):
      return "\(path): the file is empty"
    case .notGzip(let path, let found):
      return "\(path): not a gzip file: the name ends in .gz but the file starts with \(found), not 1f 8b"
    case .corruptGzip(let path, let reason):
      return "\(path): corrupt gzip data: \(reason)"
    case .badMagic(let path, let found, let expected):
      return "\(path): bad magic number: found \(found), expected \(expected)"
    case .unsupportedDType(let path, let dtype, let supported):
      return "\(path): unsupported element type \(dtype) (dpq reads \(supported))"
    case .truncated(let path, let expected, let actual, let detail, let decompressed):
      let has = decompressed ? "the file decompresses to only" : "the file has"
      return "\(path): truncated: \(detail) (\(expected) bytes) but \(has) \(actual) bytes"
    case .lyingHeader(let path, let reason):
      return "\(path): the header does not match the file: \(reason)"
    case .badHeader(let path, let reason):
      return "\(path): bad header: \(reason)"
    case .unsupported(let path, let reason):
      return "\(path): unsupported: \(reason)"
    case .tooLarge(let path, let reason):
      return "\(path): too large: \(reason)"
    case .badRecord(let path, let line, let reason):
      return "\(path):\(line): \(reason)"
    case .badValue(let path, let reason):
      return "\(path): bad value: \(reason)"
    case .inconsistent(let reason):
      return reason
    case .invalidArgument(let op, let reason):
      return "\(op): \(reason)"
    case .writeFailed(let path, let reason):
      return "\(path): cannot write: \(reason)"
    case .missingEntry(let path, let name):
      return "\(path): has no tensor named '\(name)'"
    case .badEntry(let path, let name, let reason):
      return "\(path): tensor '\(name)': \(reason)"
    }
  }
}

/// Formats a shape as NumPy prints it: `[2, 3]`.
func shapeString(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// Formats bytes as hex, `00 00 08 03`, for magic-number messages.
func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
  bytes.map { b in
    let s = String(b, radix: 16)
    return s.count == 1 ? "0" + s : s
  }.joined(separator: " ")
}
