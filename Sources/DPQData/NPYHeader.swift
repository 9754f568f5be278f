/// The header of a `.npy` file: the Python dict literal NumPy writes,
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, parsed without evaluating it.
struct NPYHeader: Equatable {
  var descr: String
  var fortranOrder: Bool
  var shape: [Int]

  /// The dict literal for this header, as NumPy formats it.
  var literal: String {
    let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    return "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(dims), }"
  }

  /// Parses the literal; `path` is used in error messages.
  init(parsing text: String, path: String) throws {
    var parser = LiteralParser(text: Array(text.utf8), path: path)
    guard case .dict(let entries) = try parser.parseValue() else {
      throw DataError.badHeader(path: path, reason: "the header is not a dict literal: \(text.prefix(60))")
    }
    try parser.expectEnd()
    var descr: String?
    var fortran: Bool?
    var shape: [Int]?
    for (key, value) in entries {
      switch (key, value) {
      case ("descr", .string(let s)): descr = s
      case ("descr", .list):
        throw DataError.unsupportedDType(
          path: path, dtype: "a structured dtype (record array)", supported: NPY.supported)
      case ("fortran_order", .bool(let b)): fortran = b
      case ("shape", .tuple(let items)):
        shape = try items.map {
          guard case .int(let n) = $0, n >= 0 else {
            throw DataError.badHeader(path: path, reason: "shape must be a tuple of non-negative integers")
          }
          return n
        }
      case ("descr", _), ("fortran_order", _), ("shape", _):
        throw DataError.badHeader(path: path, reason: "'\(key)' has a value of the wrong kind")
      default:
        throw DataError.badHeader(
          path: path, reason: "unexpected key '\(key)' (a .npy header has descr, fortran_order and shape)")
      }
    }
    guard let d = descr else { throw DataError.badHeader(path: path, reason: "no 'descr' key") }
    guard let f = fortran else { throw DataError.badHeader(path: path, reason: "no 'fortran_order' key") }
    guard let s = shape else { throw DataError.badHeader(path: path, reason: "no 'shape' key") }
    self.init(descr: d, fortranOrder: f, shape: s)
  }

  init(descr: String, fortranOrder: Bool, shape: [Int]) {
    self.descr = descr
    self.fortranOrder = fortranOrder
    self.shape = shape
  }
}

/// A Python literal: only what a .npy header can hold.
private indirect enum Literal {
  case string(String)
  case int(Int)
  case bool(Bool)
  case tuple([Literal])
  case list([Literal])
  case dict([(String, Literal)])
}

/// Recursive-descent parser over the bytes of a Python literal.
private struct LiteralParser {
  let text: [UInt8]
  let path: String
  var i = 0
  /// Containers open at the current position. A real header nests two deep (a dict holding
  /// a shape tuple); each level is a stack frame, and 175,000 `[` in a 160 KB file overflowed
  /// the stack, so nesting is bounded.
  var depth = 0
  static let maxDepth = 32

  init(text: [UInt8], path: String) {
    self.text = text
    self.path = path
  }

  func fail(_ what: String) -> DataError {
    let context = String(decoding: text[Swift.min(i, text.count)..<Swift.min(i + 20, text.count)], as: UTF8.self)
    return DataError.badHeader(path: path, reason: "\(what) at character \(i) of the header (near \"\(context)\")")
  }

  mutating func skipSpace() { while i < text.count, [0x20, 0x09, 0x0a, 0x0d].contains(text[i]) { i += 1 } }

  mutating func peek() -> UInt8? {
    skipSpace()
    return i < text.count ? text[i] : nil
  }

  mutating func expect(_ c: UInt8) throws {
    guard peek() == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
    i += 1
  }

  mutating func expectEnd() throws { guard peek() == nil else { throw fail("unexpected text after the dict") } }

  mutating func parseValue() throws -> Literal {
    guard let c = peek() else { throw fail("unexpected end of header") }
    if c == UInt8(ascii: "{") || c == UInt8(ascii: "(") || c == UInt8(ascii: "[") {
      guard depth < LiteralParser.maxDepth else {
        throw fail("containers nested more than \(LiteralParser.maxDepth) deep")
      }
      depth += 1
    }
    defer { if c == UInt8(ascii: "{") || c == UInt8(ascii: "(") || c == UInt8(ascii: "[") { depth -= 1 } }
    switch c {
    case UInt8(ascii: "{"):
      i += 1
      var entries: [(String, Literal)] = []
      while peek() != UInt8(ascii: "}") {
        guard case .string(let key) = try parseValue() else { throw fail("dict keys must be strings") }
        try expect(UInt8(ascii: ":"))
        entries.append((key, try parseValue()))
        if peek() == UInt8(ascii: ",") { i += 1 } else { break }
      }
      try expect(UInt8(ascii: "}"))
      return .dict(entries)
    case UInt8(ascii: "("), UInt8(ascii: "["):
      let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
      i += 1
      var items: [Literal] = []
      while peek() != close {
        items.append(try parseValue())
        if peek() == UInt8(ascii: ",") { i += 1 } else { break }
      }
      try expect(close)
      return c == UInt8(ascii: "(") ? .tuple(items) : .list(items)
    case UInt8(ascii: "'"), UInt8(ascii: "\""):
      i += 1
      let start = i
      while i < text.count, text[i] != c {
        guard text[i] != UInt8(ascii: "\\") else { throw fail("escapes in strings are not supported") }
        i += 1
      }
      guard i < text.count else { throw fail("unterminated string") }
      i += 1
      return .string(String(decoding: text[start..<i - 1], as: UTF8.self))
    case UInt8(ascii: "0")...UInt8(ascii: "9"):
      var n = 0
      while i < text.count, text[i] >= UInt8(ascii: "0"), text[i] <= UInt8(ascii: "9") {
        let (m, o1) = n.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(Int(text[i] - UInt8(ascii: "0")))
        guard !o1, !o2 else { throw fail("integer too large") }
        n = s
        i += 1
      }
      if i < text.count, text[i] == UInt8(ascii: "L") { i += 1 } // Python 2 long suffix
      return .int(n)
    default:
      for (word, value) in [("True", true), ("False", false)] where text[i...].starts(with: word.utf8) {
        i += word.utf8.count
        return .bool(value)
      }
      throw fail("unexpected character")
    }
  }
}
