import DPQData
import DPQQuantization
import DPQTensor

/// Index files: safetensors holding `codebooks` (F32 [M, K, D] or [M, K, D/M]), an optional
/// `rotation` (F32 [D, D]) and `codes` (U8 or U16 [n, M]), with layout, metric and a format version
/// in `__metadata__`. Reconstruction norms are recomputed on load rather than trusted from disk.
extension Index {
  public static let fileFormat = "dpq-index"
  public static let fileFormatVersion = 1

  /// Writes the index atomically.
  public func save(to path: String) throws {
    var entries = [SafeTensors.Entry(name: "codebooks", tensor: layout.codebooks)]
    if let r = layout.rotation { entries.append(.init(name: "rotation", tensor: r)) }
    // Raw little-endian bytes, not one Int per code: 10 million items would otherwise take 8x
    // the codes' size in a temporary array.
    entries.append(
      .init(
        name: "codes", dtype: codes.bytesPerCode == 1 ? .uint8 : .uint16,
        shape: [codes.count, codes.blockCount], bytes: codes.littleEndianBytes))
    let meta = [
      "format": Index.fileFormat, "format_version": String(Index.fileFormatVersion),
      "layout": layout.isAdditive ? "additive" : "product", "metric": metric.rawValue,
      "codewords": String(codewordCount),
    ]
    try SafeTensors(entries: entries, metadata: meta).write(to: path)
  }

  /// Reads and validates an index file; errors name the file and what is wrong.
  public static func load(from path: String) throws -> Index {
    let file = try SafeTensors.read(path)
    func refuse(_ why: String) -> DataError { .badHeader(path: path, reason: why) }
    guard file.metadata["format"] == fileFormat else {
      throw refuse(
        "not a dpq index file (metadata format is \(file.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(fileFormat)')"
      )
    }
    guard let v = file.metadata["format_version"].flatMap(Int.init), v <= fileFormatVersion else {
      throw refuse(
        "format version \(file.metadata["format_version"] ?? "missing") is newer than this dpq reads (\(fileFormatVersion))"
      )
    }
    guard let metric = file.metadata["metric"].flatMap(IndexMetric.init(rawValue:)) else {
      throw refuse("unknown or missing metric '\(file.metadata["metric"] ?? "")'")
    }
    let books = try file.tensor("codebooks", path: path)
    guard books.rank == 3 else {
      throw DataError.badEntry(path: path, name: "codebooks", reason: "shape \(books.shape), expected [M, K, d]")
    }
    let layout: CodebookLayout
    switch file.metadata["layout"] {
    case "additive": layout = .additive(codebooks: books)
    case "product":
      layout = .product(
        codebooks: books, rotation: file.entry("rotation") == nil ? nil : try file.tensor("rotation", path: path))
    default: throw refuse("unknown or missing layout '\(file.metadata["layout"] ?? "")'")
    }
    guard let entry = file.entry("codes") else { throw DataError.missingEntry(path: path, name: "codes") }
    let shape = entry.shape
    let m = books.shape[0]
    let k = books.shape[1]
    guard shape.count == 2, shape[1] == m else {
      throw DataError.badEntry(path: path, name: "codes", reason: "shape \(shape), expected [n, \(m)]")
    }
    let codes: Codes
    do {
      // The stored width of this K read straight from the bytes; other integer types through Ints.
      if entry.dtype == (k <= 256 ? .uint8 : .uint16) {
        codes = try Codes(count: shape[0], blockCount: m, codewordCount: k, littleEndianBytes: entry.bytes)
      } else {
        codes = try Codes(
          count: shape[0], blockCount: m, codewordCount: k, values: file.integers("codes", path: path).values)
      }
    } catch let error as DataError {
      throw error
    } catch {
      throw DataError.badEntry(path: path, name: "codes", reason: "\(error)")
    }
    var index = try Index(layout: layout, metric: metric)
    try index.add(codes: codes)
    return index
  }
}
