import DPQTensor

/// Tables of numeric features with one label column, as comma-separated text.
///
/// Fields may be double-quoted (`"a, b"`, with `""` for a quote); blank lines are skipped; a
/// UTF-8 byte-order mark and Windows line ends are accepted. Labels that are all non-negative
/// integers are class numbers; otherwise each distinct label text is a class, named by it and
/// numbered in sorted order.
public enum CSV {
  /// Which column holds the labels.
  public enum LabelColumn: Equatable {
    /// The column with this header name (the file needs a header row).
    case name(String)
    /// The column at this 0-based position; negative positions count from the end (-1: last).
    case index(Int)
  }

  /// Largest file read, in bytes.
  public static let maxFileBytes = 1 << 31
  /// Most classes integer labels may number (labels 0 ..< maxClassCount).
  public static let maxClassCount = 65_536

  /// Loads a CSV file as `[n, d]` features and labels.
  /// - Parameters:
  ///   - hasHeader: whether the first row names the columns; nil guesses it (a first row with a
  ///     non-empty, non-numeric feature field is a header). Pass it when the guess could be wrong.
  ///   - classNames: names of the classes; integer labels index them, text labels are looked up.
  public static func load(
    _ path: String, labelColumn: LabelColumn, hasHeader: Bool? = nil,
    separator: Character = ",", classNames: [String]? = nil,
    name: String? = nil
  ) throws -> LabelledDataset {
    guard let sep = separator.asciiValue, sep != UInt8(ascii: "\""), sep != 0x0a, sep != 0x0d else {
      throw DataError.invalidArgument(
        op: "CSV.load", reason: "the separator must be one ASCII character other than a quote or a line end")
    }
    let file = try DataFile(path: path)
    var bytes = try file.readAll(limit: maxFileBytes, what: "a CSV file")
    if bytes.starts(with: [0xef, 0xbb, 0xbf]) { bytes.removeFirst(3) }

    var rows: [(line: Int, fields: [String])] = []
    var line = 1
    var start = 0
    try bytes.withUnsafeBufferPointer { b in
      while start < b.count {
        var end = start
        var quoted = false
        while end < b.count, quoted || b[end] != 0x0a { // a quoted field may span lines
          if b[end] == UInt8(ascii: "\"") { quoted.toggle() }
          end += 1
        }
        if quoted { throw DataError.badRecord(path: path, line: line, reason: "a quoted field is not closed") }
        let text = UnsafeBufferPointer(rebasing: b[start..<end])
        let newlines = text.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
        if !text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) {
          rows.append((line, try splitFields(text, separator: sep, path: path, line: line)))
        }
        line += 1 + newlines
        start = end + 1
      }
    }
    guard let first = rows.first else { throw DataError.empty(path: path) }
    let width = first.fields.count
    guard width >= 2 else {
      throw DataError.badRecord(
        path: path, line: first.line,
        reason: "need a label column and at least one feature column, found \(width) field")
    }

    // Decide on the header and the label column.
    var header: [String]? = nil
    let labelIndex: Int
    switch labelColumn {
    case .name(let columnName):
      guard hasHeader != false else {
        throw DataError.invalidArgument(op: "CSV.load", reason: "a label column given by name needs a header row")
      }
      guard let i = first.fields.firstIndex(of: columnName) else {
        throw DataError.badRecord(
          path: path, line: first.line,
          reason: "no column named '\(columnName)' in the header (\(first.fields.joined(separator: ", ")))")
      }
      header = first.fields
      labelIndex = i
    case .index(let i):
      let j = i < 0 ? width + i : i
      guard j >= 0, j < width else {
        throw DataError.invalidArgument(
          op: "CSV.load", reason: "label column \(i) is outside the \(width) columns of \(path)")
      }
      labelIndex = j
      // a header field is one that is no number at all: `nan`, `inf` and `1e39` are numbers,
      // refused below as not finite, rather than taken for a header and their row dropped
      let looksLikeHeader = first.fields.enumerated().contains {
        $0.offset != j && !$0.element.isEmpty && Double($0.element.trimmingCharacters(in: .whitespaces)) == nil
      }
      if hasHeader ?? looksLikeHeader { header = first.fields }
    }
    let dataRows = header == nil ? rows[...] : rows.dropFirst()
    let dimension = width - 1
    var features: [Float] = []
    features.reserveCapacity(dataRows.count * dimension)
    var labelTexts: [String] = []
    labelTexts.reserveCapacity(dataRows.count)
    for row in dataRows {
      guard row.fields.count == width else {
        throw DataError.badRecord(
          path: path, line: row.line,
          reason: "expected \(width) fields like line \(first.line), found \(row.fields.count)")
      }
      for (k, field) in row.fields.enumerated() {
        if k == labelIndex {
          labelTexts.append(field)
          continue
        }
        guard !field.isEmpty else {
          throw DataError.badRecord(
            path: path, line: row.line, reason: "field \(k + 1)\(header.map { " ('\($0[k])')" } ?? "") is empty")
        }
        guard let v = parseNumber(field) else {
          throw DataError.badRecord(
            path: path, line: row.line,
            reason:
              "field \(k + 1)\(header.map { " ('\($0[k])')" } ?? "") is not a finite number: '\(field.prefix(40))'")
        }
        features.append(v)
      }
    }
    guard !labelTexts.isEmpty else {
      throw DataError.badRecord(path: path, line: first.line, reason: "the file has a header but no data rows")
    }
    let (labels, names) = try resolveLabels(labelTexts, lines: dataRows.map(\.line), classNames: classNames, path: path)
    let tensor = try Tensor(shape: [labels.count, dimension], scalars: features)
    let base = path.split(separator: "/").last.map(String.init) ?? path
    return try LabelledDataset(name: name ?? base, features: tensor, labels: labels, classNames: names)
  }

  /// Class numbers and names for the label texts (see the type's documentation).
  static func resolveLabels(
    _ texts: [String], lines: [Int], classNames: [String]?,
    path: String
  ) throws -> ([Int], [String]) {
    let numbers = texts.map { Int($0) }
    if numbers.allSatisfy({ ($0 ?? -1) >= 0 }) {
      let labels = numbers.map { $0 ?? 0 }
      // Integer labels number the classes 0..<max+1: a huge label would ask for that many classes.
      if classNames == nil, let i = labels.firstIndex(where: { $0 >= maxClassCount }) {
        throw DataError.badRecord(
          path: path, line: lines[i],
          reason:
            "label \(labels[i]) is too large for a class number (at most \(maxClassCount) classes); pass the class names, or use text labels"
        )
      }
      let count = classNames?.count ?? ((labels.max() ?? -1) + 1)
      if let i = labels.firstIndex(where: { $0 >= count }) {
        throw DataError.badRecord(
          path: path, line: lines[i], reason: "label \(labels[i]) is not below the \(count) class names given")
      }
      return (labels, classNames ?? (0..<count).map(String.init))
    }
    let names = classNames ?? Array(Set(texts)).sorted()
    var index: [String: Int] = [:]
    for (i, n) in names.enumerated() where index[n] == nil { index[n] = i }
    let labels = try texts.enumerated().map { i, t -> Int in
      guard let l = index[t] else {
        throw DataError.badRecord(
          path: path, line: lines[i], reason: "label '\(t)' is not one of the class names given")
      }
      return l
    }
    return (labels, names)
  }

  /// A finite number, or nil.
  static func parseNumber(_ text: String) -> Float? {
    guard let v = Float(text), v.isFinite else { return nil }
    return v
  }

  /// Splits one line into fields, honouring double quotes; unquoted fields are trimmed.
  static func splitFields(
    _ line: UnsafeBufferPointer<UInt8>, separator: UInt8, path: String,
    line number: Int
  ) throws -> [String] {
    var fields: [String] = []
    var current: [UInt8] = []
    var quoted = false
    var wasQuoted = false
    var i = 0
    func finish() {
      var field = current[...]
      if !wasQuoted {
        while let c = field.first, c == 0x20 || c == 0x09 { field.removeFirst() }
        while let c = field.last, c == 0x20 || c == 0x09 || c == 0x0d { field.removeLast() }
      }
      fields.append(String(decoding: field, as: UTF8.self))
      current.removeAll(keepingCapacity: true)
      wasQuoted = false
    }
    while i < line.count {
      let c = line[i]
      if quoted {
        if c == UInt8(ascii: "\"") {
          if i + 1 < line.count, line[i + 1] == UInt8(ascii: "\"") {
            current.append(c)
            i += 1
          } else {
            quoted = false
          }
        } else {
          current.append(c)
        }
      } else if c == UInt8(ascii: "\"") {
        guard current.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
          throw DataError.badRecord(
            path: path, line: number, reason: "a quote inside an unquoted field (field \(fields.count + 1))")
        }
        current.removeAll()
        quoted = true
        wasQuoted = true
      } else if c == separator {
        finish()
      } else if !(wasQuoted && (c == 0x20 || c == 0x09 || c == 0x0d)) {
        guard !wasQuoted else {
          throw DataError.badRecord(
            path: path, line: number, reason: "text after a closing quote (field \(fields.count + 1))")
        }
        current.append(c)
      }
      i += 1
    }
    finish()
    return fields
  }
}
