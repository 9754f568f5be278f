/// Turns source text into tokens. Errors do not stop the lexer: it records a diagnostic, skips
/// the offending text and goes on, so the parser can report every problem of a script at once.
struct Lexer {
  private let scalars: [Unicode.Scalar]
  private let file: String
  private var index = 0
  private var line: Int
  private var lineStart: Int
  /// Column of the first scalar, for sub-lexers of interpolations that start mid-line.
  private let firstColumnOffset: Int
  private let firstLine: Int
  private(set) var tokens: [Token] = []
  private(set) var diagnostics: [Diagnostic] = []

  /// Lexes `source` as if it started at `start` (line 1, column 1 for a whole file).
  init(source: String, file: String, start: SourceLocation? = nil) {
    scalars = Array(source.unicodeScalars)
    self.file = file
    line = start?.line ?? 1
    lineStart = 0
    firstColumnOffset = (start?.column ?? 1) - 1
    firstLine = line
  }

  /// Lexes the whole source; the last token is always `.endOfInput`.
  static func tokenize(_ source: String, file: String, start: SourceLocation? = nil) -> (
    tokens: [Token], diagnostics: [Diagnostic]
  ) {
    var lexer = Lexer(source: source, file: file, start: start)
    lexer.run()
    return (lexer.tokens, lexer.diagnostics)
  }

  // MARK: positions

  private var column: Int { index - lineStart + 1 + (line == firstLine ? firstColumnOffset : 0) }

  private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
    let i = index + offset
    return i < scalars.count ? scalars[i] : nil
  }

  private func location(length: Int = 1) -> SourceLocation {
    SourceLocation(file: file, line: line, column: column, length: length)
  }

  private mutating func advance() -> Unicode.Scalar {
    let c = scalars[index]
    index += 1
    if c == "\n" {
      line += 1
      lineStart = index
    }
    return c
  }

  private mutating func error(_ message: String, at loc: SourceLocation, endOfInput: Bool = false) {
    diagnostics.append(Diagnostic(message: message, location: loc, isEndOfInput: endOfInput))
  }

  private mutating func add(_ kind: TokenKind, _ lexeme: String, _ loc: SourceLocation) {
    tokens.append(Token(kind: kind, lexeme: lexeme, location: loc.spanning(lexeme.unicodeScalars.count)))
  }

  // MARK: main loop

  mutating func run() {
    while let c = peek() {
      let start = location()
      switch c {
      case " ", "\t", "\r", "\u{FEFF}":
        _ = advance()
      case "\n":
        _ = advance()
        if let last = tokens.last, last.kind != .newline {
          tokens.append(Token(kind: .newline, lexeme: "", location: start))
        }
      case "#":
        while let d = peek(), d != "\n" { _ = advance() }
      case "\"", "'":
        lexString(quote: c, start: start)
      case "0"..."9":
        lexNumber(start: start)
      case "." where peek(1).map(isDigit) == true && !previousEndsOperand:
        lexNumber(start: start)
      case "a"..."z", "A"..."Z", "_":
        var text = ""
        while let d = peek(), isIdentifierPart(d) { text.unicodeScalars.append(advance()) }
        add(TokenKind.keywords[text] ?? .identifier, text, start)
      default:
        lexOperator(c, start: start)
      }
    }
    tokens.append(Token(kind: .endOfInput, lexeme: "", location: location()))
  }

  /// Whether the last token can end an operand (then `.` is attribute access, not `.5`).
  private var previousEndsOperand: Bool {
    guard let k = tokens.last?.kind else { return false }
    return [.identifier, .number, .string, .rightParen, .rightBracket, .rightBrace].contains(k)
  }

  private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
  private func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
  }

  // MARK: operators

  private static let twoCharacter: [String: TokenKind] = [
    "**": .power, "==": .equalEqual, "!=": .bangEqual, "<=": .lessEqual, ">=": .greaterEqual,
    "+=": .plusEqual, "-=": .minusEqual, "*=": .starEqual, "/=": .slashEqual, "=>": .arrow,
  ]
  private static let oneCharacter: [Unicode.Scalar: TokenKind] = [
    "+": .plus, "-": .minus, "*": .star, "/": .slash, "%": .percent, "@": .at, "<": .less, ">": .greater,
    "=": .equal, ".": .dot, ",": .comma, ":": .colon, ";": .semicolon, "(": .leftParen, ")": .rightParen,
    "[": .leftBracket, "]": .rightBracket, "{": .leftBrace, "}": .rightBrace,
  ]

  private mutating func lexOperator(_ c: Unicode.Scalar, start: SourceLocation) {
    if let d = peek(1) {
      let pair = String(c) + String(d)
      if let kind = Lexer.twoCharacter[pair] {
        _ = advance()
        _ = advance()
        add(kind, pair, start)
        return
      }
      let hints = [
        "&&": "use 'and' instead of '&&'", "||": "use 'or' instead of '||'",
        "//": "'//' is not an operator; use '/' then floor(), or '#' for comments",
      ]
      if let hint = hints[pair] {
        _ = advance()
        _ = advance()
        error("unexpected '\(pair)': \(hint)", at: start.spanning(2))
        add(.invalid, pair, start)
        return
      }
    }
    _ = advance()
    if let kind = Lexer.oneCharacter[c] {
      add(kind, String(c), start)
    } else if c == "!" {
      error("unexpected '!': use 'not' for negation", at: start)
      add(.invalid, "!", start)
    } else {
      error("unexpected character \(Lexer.describe(c))", at: start)
      add(.invalid, String(c), start)
    }
  }

  /// A printable description of a stray character (control and binary bytes as U+XXXX).
  static func describe(_ c: Unicode.Scalar) -> String {
    if c.value < 0x20 || c.value == 0x7F || c == "\u{FFFD}" || (c.value >= 0x80 && c.value < 0xA0) {
      return "U+" + String(String(c.value, radix: 16, uppercase: true).leftPadded(to: 4))
    }
    return "'\(c)'"
  }

  // MARK: numbers

  /// Digits with `_` separators, an optional fraction and exponent: `1_000`, `2.5`, `1e-3`, `.5`.
  private mutating func lexNumber(start: SourceLocation) {
    var text = ""
    var digits = ""
    var malformed = false
    func takeDigits(_ lexer: inout Lexer) {
      var lastWasUnderscore = false
      var sawDigit = false
      while let d = lexer.peek(), lexer.isDigit(d) || d == "_" {
        if d == "_" && (!sawDigit || lastWasUnderscore) { malformed = true }
        lastWasUnderscore = d == "_"
        if d != "_" {
          digits.unicodeScalars.append(d)
          sawDigit = true
        }
        text.unicodeScalars.append(lexer.advance())
      }
      if lastWasUnderscore { malformed = true }
    }
    takeDigits(&self)
    if peek() == ".", let d = peek(1), isDigit(d) {
      text += "."
      digits += "."
      _ = advance()
      takeDigits(&self)
    }
    if let e = peek(), e == "e" || e == "E" {
      let signed = peek(1) == "+" || peek(1) == "-"
      if let d = peek(signed ? 2 : 1), isDigit(d) {
        text.unicodeScalars.append(advance())
        digits += "e"
        if signed {
          let s = advance()
          text.unicodeScalars.append(s)
          digits.unicodeScalars.append(s)
        }
        takeDigits(&self)
      } else {
        text.unicodeScalars.append(advance())
        malformed = true
      }
    }
    // a name glued to a number (`3x`) is a typo, not two tokens
    while let d = peek(), isIdentifierPart(d) {
      text.unicodeScalars.append(advance())
      malformed = true
    }
    let loc = start.spanning(text.unicodeScalars.count)
    if malformed || Double(digits) == nil {
      error("malformed number '\(text)'", at: loc)
      var t = Token(kind: .number, lexeme: text, location: loc)
      t.number = 0
      tokens.append(t)
      return
    }
    var t = Token(kind: .number, lexeme: text, location: loc)
    t.number = Double(digits) ?? 0
    tokens.append(t)
  }

  // MARK: strings

  /// A string in single or double quotes (one line) or triple quotes (may span lines), with
  /// escapes and `{expression}` / `{expression:spec}` interpolation.
  private mutating func lexString(quote: Unicode.Scalar, start: SourceLocation) {
    let triple = peek(1) == quote && peek(2) == quote
    for _ in 0..<(triple ? 3 : 1) { _ = advance() }
    var parts: [StringPart] = []
    var text = ""
    var terminated = false
    while let c = peek() {
      if c == quote && (!triple || (peek(1) == quote && peek(2) == quote)) {
        for _ in 0..<(triple ? 3 : 1) { _ = advance() }
        terminated = true
        break
      }
      if c == "\n" && !triple { break }
      if c == "\\" {
        lexEscape(into: &text)
      } else if c == "{" {
        let braceLocation = location()
        _ = advance()
        if let part = lexInterpolation(quote: quote, triple: triple, brace: braceLocation) {
          if !text.isEmpty {
            parts.append(.text(text))
            text = ""
          }
          parts.append(part)
        }
      } else {
        text.unicodeScalars.append(advance())
      }
    }
    if !text.isEmpty || parts.isEmpty { parts.append(.text(text)) }
    if !terminated {
      let atEnd = peek() == nil
      error(
        triple
          ? "unterminated string (opened with \(String(quote))\(String(quote))\(String(quote)))"
          : "unterminated string",
        at: start, endOfInput: atEnd && triple)
    }
    let length = start.line == line ? Swift.max(1, column - start.column) : 1
    var token = Token(kind: .string, lexeme: "", location: start.spanning(length))
    token.parts = parts
    tokens.append(token)
  }

  private mutating func lexEscape(into text: inout String) {
    let escapeStart = location(length: 2)
    _ = advance()
    guard let e = peek() else {
      error("unterminated escape sequence", at: escapeStart)
      return
    }
    _ = advance()
    switch e {
    case "n": text += "\n"
    case "t": text += "\t"
    case "r": text += "\r"
    case "0": text += "\0"
    case "\\", "\"", "'", "{", "}": text.unicodeScalars.append(e)
    case "\n": break // a backslash before a newline joins the lines
    case "u":
      guard peek() == "{" else {
        error("malformed \\u escape: expected '\\u{XXXX}'", at: escapeStart)
        return
      }
      _ = advance()
      var hex = ""
      while let h = peek(), h.properties.isASCIIHexDigit { hex.unicodeScalars.append(advance()) }
      if peek() == "}", let v = UInt32(hex, radix: 16), let s = Unicode.Scalar(v), hex.count <= 6 {
        _ = advance()
        text.unicodeScalars.append(s)
      } else {
        error("malformed \\u escape: expected '\\u{XXXX}' with 1 to 6 hex digits", at: escapeStart)
      }
    default:
      error("unknown escape sequence '\\\(e)'", at: escapeStart)
      text.unicodeScalars.append(e)
    }
  }

  /// Reads `expression[:spec]}` after a `{`, skipping nested brackets and strings.
  private mutating func lexInterpolation(quote: Unicode.Scalar, triple: Bool, brace: SourceLocation) -> StringPart? {
    let exprStart = location()
    var source = ""
    var spec: String? = nil
    var depth = 0
    while let c = peek() {
      if c == "\n" && !triple { break }
      if depth == 0 && c == "}" {
        _ = advance()
        if source.allSatisfy({ $0 == " " || $0 == "\t" }) {
          error("empty interpolation '{}' in string (write '\\{' for a literal brace)", at: brace)
          return nil
        }
        return .interpolation(source: source, location: exprStart, spec: spec)
      }
      if depth == 0 && c == ":" && spec == nil {
        _ = advance()
        spec = ""
        continue
      }
      if c == "(" || c == "[" || c == "{" { depth += 1 }
      if c == ")" || c == "]" || c == "}" { depth -= 1 }
      if (c == "\"" || c == "'") && spec == nil {
        // a string inside the interpolation: the outer string cannot end while `{` is open
        let q = advance()
        appendScalar(q, source: &source, spec: &spec)
        while let d = peek(), d != q, d != "\n" {
          // keep an escaped quote inside the nested string
          if d == "\\", peek(1) != nil, peek(1) != "\n" { appendScalar(advance(), source: &source, spec: &spec) }
          appendScalar(advance(), source: &source, spec: &spec)
        }
        if peek() == q { appendScalar(advance(), source: &source, spec: &spec) }
        continue
      }
      appendScalar(advance(), source: &source, spec: &spec)
    }
    error(
      "unterminated interpolation: '{' has no matching '}' (write '\\{' for a literal brace)", at: brace,
      endOfInput: triple && peek() == nil)
    return nil
  }

  private func appendScalar(_ c: Unicode.Scalar, source: inout String, spec: inout String?) {
    if var s = spec {
      s.unicodeScalars.append(c)
      spec = s
    } else {
      source.unicodeScalars.append(c)
    }
  }
}

extension String {
  func leftPadded(to width: Int, with pad: Character = "0") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }
}
