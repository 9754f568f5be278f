/// A file of item positions (a split's train, query or database part): a 1-D integer .npy
/// (`split.save` writes those; NumPy's `np.save(path, ids)`), or text with integers separated by
/// spaces, commas or line ends (`np.savetxt(path, ids, fmt="%d")`).
enum IndexFile {
  /// The positions in `path`, each checked against `count` items of `sourceName`.
  static func read(_ path: String, count: Int, sourceName: String) throws -> [Int] {
    let values: [Int]
    if path.hasSuffix(".npy") || path.hasSuffix(".npy.gz") {
      let array = try NPY.readIntegers(path)
      guard array.shape.count == 1 else {
        throw DataError.badValue(
          path: path, reason: "expected a 1-D array of indices, found shape \(shapeString(array.shape))")
      }
      values = array.values
    } else {
      var list: [Int] = []
      for (number, text) in try TextFiles.lines(path) {
        for field in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
          guard let v = Int(field) else {
            throw DataError.badRecord(path: path, line: number, reason: "'\(field.prefix(20))' is not an integer index")
          }
          list.append(v)
        }
      }
      guard !list.isEmpty else { throw DataError.empty(path: path) }
      values = list
    }
    if let bad = values.first(where: { $0 < 0 || $0 >= count }) {
      throw DataError.badValue(path: path, reason: "index \(bad) is out of range for \(sourceName) (\(count) items)")
    }
    return values
  }
}
