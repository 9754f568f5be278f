import DPQTensor

/// An IDX file, the format of MNIST and Fashion-MNIST: a big-endian header (two zero bytes, a
/// type byte, the rank, then one 32-bit size per dimension) followed by the values in row-major
/// order. dpq reads unsigned-byte IDX (type 0x08), plain or gzip-compressed.
public struct IDXFile {
  /// The sizes from the header, e.g. `[60000, 28, 28]` for an image file.
  public let dimensions: [Int]
  /// The values, `dimensions.reduce(1, *)` of them.
  public let bytes: [UInt8]

  /// Largest rank accepted; MNIST-style files have rank 1 (labels) or 3 (images).
  public static let maxRank = 4

  /// Reads and validates an IDX file: magic, type, rank (`expectedRank` when given), dimensions
  /// against the file size before allocating, and no data past what the header declares.
  /// `hint` is shown if the file does not exist.
  public static func read(_ path: String, expectedRank: Int? = nil, hint: String = "") throws -> IDXFile {
    let (file, dimensions) = try openValidated(path, expectedRank: expectedRank, hint: hint)
    let detail = "header says " + describe(dimensions)
    let bytes = try file.readBytes(dimensions.reduce(1, *), detail: detail)
    try file.checkEnd(detail: detail)
    return IDXFile(dimensions: dimensions, bytes: bytes)
  }

  /// Reads an IDX file straight into a Float tensor of `shape` (which must hold the same number of
  /// values), divided by `divisor`, converting while each piece of the data is still in cache.
  static func readScaled(
    _ path: String, expectedRank: Int, hint: String, divisor: Float,
    shape: ([Int]) -> [Int]
  ) throws -> (dimensions: [Int], values: Tensor) {
    let (file, dimensions) = try openValidated(path, expectedRank: expectedRank, hint: hint)
    let detail = "header says " + describe(dimensions)
    let total = dimensions.reduce(1, *)
    try file.checkAvailable(total, detail: detail)
    let values = try Tensor(shape: shape(dimensions)) { out in
      guard let base = out.baseAddress else { return }
      try file.readChunked(total, detail: detail) { piece, offset in
        let o = base + offset
        for i in 0..<piece.count { o[i] = Float(piece[i]) / divisor }
      }
    }
    try file.checkEnd(detail: detail)
    return (dimensions, values)
  }

  /// Opens `path` and validates the header; the file is positioned at the first value.
  static func openValidated(_ path: String, expectedRank: Int?, hint: String) throws -> (DataFile, [Int]) {
    let file = try DataFile(path: path, hint: hint)
    let magic = try file.readBytes(4, detail: "an IDX header needs a 4-byte magic number")
    let expected =
      expectedRank.map { "00 00 08 0\($0) (\(kindName(rank: $0)))" } ?? "00 00 08 0N with N = 1 to \(maxRank)"
    guard magic[0] == 0, magic[1] == 0 else {
      throw DataError.badMagic(path: path, found: hexString(magic), expected: expected)
    }
    guard magic[2] == 0x08 else {
      let known: [UInt8: String] = [
        0x09: "signed byte (0x09)", 0x0B: "int16 (0x0B)", 0x0C: "int32 (0x0C)",
        0x0D: "float32 (0x0D)", 0x0E: "float64 (0x0E)",
      ]
      guard let name = known[magic[2]] else {
        throw DataError.badMagic(path: path, found: hexString(magic), expected: expected)
      }
      throw DataError.unsupportedDType(path: path, dtype: name, supported: "unsigned-byte IDX (type 0x08)")
    }
    let rank = Int(magic[3])
    guard rank >= 1, rank <= maxRank, expectedRank == nil || rank == expectedRank else {
      throw DataError.badMagic(path: path, found: hexString(magic), expected: expected)
    }
    let header = try file.readBytes(4 * rank, detail: "an IDX header of rank \(rank) needs \(4 * rank) bytes of sizes")
    var dimensions: [Int] = []
    var total = 1
    for d in 0..<rank {
      let size = header[4 * d..<4 * d + 4].reduce(0) { $0 << 8 | Int($1) }
      guard size > 0 else {
        throw DataError.lyingHeader(path: path, reason: "dimension \(d) is 0")
      }
      dimensions.append(size)
      let (product, overflow) = total.multipliedReportingOverflow(by: size)
      guard !overflow, product <= Tensor.elementLimit else {
        throw DataError.tooLarge(
          path: path,
          reason:
            "header declares \(dimensions.map(String.init).joined(separator: " x ")) values, more than dpq's limit of \(Tensor.elementLimit)"
        )
      }
      total = product
    }
    return (file, dimensions)
  }

  static func kindName(rank: Int) -> String {
    switch rank {
    case 1: return "labels"
    case 3: return "images"
    default: return "rank \(rank)"
    }
  }

  /// "10000 images of 28x28", "10000 labels", for messages.
  static func describe(_ dimensions: [Int]) -> String {
    let rest = dimensions.dropFirst().map(String.init).joined(separator: "x")
    switch dimensions.count {
    case 1: return "\(dimensions[0]) labels"
    case 3: return "\(dimensions[0]) images of \(rest)"
    default: return "\(dimensions[0]) items of \(rest)"
    }
  }
}
