/// The kinds of token the lexer produces.
public enum TokenKind: String, Sendable {
  case number, string, identifier
  // keywords
  case fnKeyword = "fn"
  case returnKeyword = "return"
  case ifKeyword = "if"
  case elseKeyword = "else"
  case whileKeyword = "while"
  case forKeyword = "for"
  case inKeyword = "in"
  case breakKeyword = "break"
  case continueKeyword = "continue"
  case trueKeyword = "true"
  case falseKeyword = "false"
  case nilKeyword = "nil"
  case andKeyword = "and"
  case orKeyword = "or"
  case notKeyword = "not"
  // operators and punctuation
  case plus = "+"
  case minus = "-"
  case star = "*"
  case slash = "/"
  case percent = "%"
  case power = "**"
  case at = "@"
  case equalEqual = "=="
  case bangEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="
  case equal = "="
  case plusEqual = "+="
  case minusEqual = "-="
  case starEqual = "*="
  case slashEqual = "/="
  case arrow = "=>"
  case dot = "."
  case comma = ","
  case colon = ":"
  case semicolon = ";"
  case leftParen = "("
  case rightParen = ")"
  case leftBracket = "["
  case rightBracket = "]"
  case leftBrace = "{"
  case rightBrace = "}"
  case newline, endOfInput
  /// Text the lexer rejected (already reported); the parser skips the statement silently.
  case invalid

  /// Reserved words, by spelling.
  static let keywords: [String: TokenKind] = {
    let all: [TokenKind] = [
      .fnKeyword, .returnKeyword, .ifKeyword, .elseKeyword, .whileKeyword, .forKeyword,
      .inKeyword, .breakKeyword, .continueKeyword, .trueKeyword, .falseKeyword,
      .nilKeyword, .andKeyword, .orKeyword, .notKeyword,
    ]
    return Dictionary(uniqueKeysWithValues: all.map { ($0.rawValue, $0) })
  }()

  var isKeyword: Bool { TokenKind.keywords[rawValue] == self }

  /// How the token is named in a diagnostic: `'+'`, `'while'`, `a number`.
  var spelledForMessages: String {
    switch self {
    case .number: return "a number"
    case .string: return "a string"
    case .identifier: return "a name"
    case .newline: return "end of line"
    case .endOfInput: return "end of input"
    case .invalid: return "invalid text"
    default: return "'\(rawValue)'"
    }
  }
}

/// A piece of a string literal: literal text, or an interpolated `{expression:spec}`.
public enum StringPart: Sendable, Equatable {
  case text(String)
  /// The expression's source text, where it starts, and an optional format spec (`.3f`).
  case interpolation(source: String, location: SourceLocation, spec: String?)
}

/// One lexical token with its location.
public struct Token: Sendable {
  public var kind: TokenKind
  /// The exact source text of the token (empty for newline and end of input).
  public var lexeme: String
  public var location: SourceLocation
  /// The value of a number token.
  public var number: Double = 0
  /// The decoded parts of a string token.
  public var parts: [StringPart] = []

  /// How the token is named in a diagnostic.
  var describedForMessages: String {
    switch kind {
    case .identifier: return "'\(lexeme)'"
    case .number: return "number \(lexeme)"
    case .string: return "a string"
    default: return kind.spelledForMessages
    }
  }
}
