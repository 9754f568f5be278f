/// Small text files: class-name lists, label files.
enum TextFiles {
  /// Largest text file read, in bytes.
  static let maxBytes = 1 << 31

  /// The file's lines with their 1-based line numbers, trimmed, skipping blank lines.
  static func lines(_ path: String, hint: String = "") throws -> [(number: Int, text: Substring)] {
    let file = try DataFile(path: path, hint: hint)
    let bytes = try file.readAll(limit: maxBytes, what: "a text file")
    let text = String(decoding: bytes, as: UTF8.self)
    var result: [(Int, Substring)] = []
    // "\r\n" is one Character in Swift, so split on any newline rather than on "\n".
    for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      var trimmed = line
      while let c = trimmed.first, c.isWhitespace { trimmed.removeFirst() }
      while let c = trimmed.last, c.isWhitespace { trimmed.removeLast() }
      if !trimmed.isEmpty { result.append((i + 1, trimmed)) }
    }
    return result
  }

  /// One name per non-blank line (class-name lists such as CIFAR-10's batches.meta.txt).
  static func names(_ path: String) throws -> [String] {
    try lines(path).map { String($0.text) }
  }
}
