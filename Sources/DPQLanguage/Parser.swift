/// Recursive-descent parser over the lexer's tokens. Statements are parsed here; expressions,
/// with their precedence table, in Parser+Expressions.swift.
///
/// Error recovery: a syntax error records a diagnostic and unwinds to the statement being parsed;
/// the parser then skips to the end of that statement and goes on, so one run reports every error.
/// Input nested deeper than `maxDepth` is refused with a diagnostic instead of exhausting the stack,
/// and so is a syntax tree taller than `maxHeight`.
struct Parser {
  /// Thrown to unwind to the enclosing statement after the diagnostic has been recorded.
  struct Unwind: Error {}

  static let maxDepth = 200
  /// The tallest syntax tree accepted: nesting plus chains of operators and postfix operations
  /// (`1 + 1 + ... + 1`, `r.a.a.a`, `xs[0][0]`). The parser builds a chain in a loop, but the
  /// tree it makes is as tall as the chain, and evaluating, walking or freeing it recurses once
  /// per level: 50,000 terms overflowed the stack.
  static let maxHeight = 2_000

  var tokens: [Token]
  var current = 0
  var diagnostics: [Diagnostic] = []
  /// One entry per open construct: newlines end statements in blocks, not inside () [] or records.
  var newlinesSignificant: [Bool] = [true]
  var depth = 0
  /// The height of the tree above the current position (see `maxHeight`).
  var height = 0
  var loopDepth = 0
  var functionDepth = 0

  init(tokens: [Token]) {
    self.tokens =
      tokens.isEmpty
      ? [Token(kind: .endOfInput, lexeme: "", location: SourceLocation(file: "", line: 1, column: 1))] : tokens
  }

  /// Parses a whole source whose first line is line `firstLine` of `file`; diagnostics are
  /// sorted by position and include the lexer's.
  static func parse(_ source: String, file: String, firstLine: Int = 1) -> (
    statements: [Stmt], diagnostics: [Diagnostic]
  ) {
    let lexed = Lexer.tokenize(source, file: file, start: SourceLocation(file: file, line: firstLine, column: 1))
    var parser = Parser(tokens: lexed.tokens)
    let statements = parser.program()
    let all = (lexed.diagnostics + parser.diagnostics).sorted {
      ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column)
    }
    return (statements, all)
  }

  // MARK: token access

  /// Index of the token `offset` ahead, skipping newlines where they are not significant.
  func position(_ offset: Int = 0) -> Int {
    let skip = !(newlinesSignificant.last ?? true)
    var i = current
    var remaining = offset
    while true {
      if skip { while tokens[i].kind == .newline { i += 1 } }
      if remaining == 0 || tokens[i].kind == .endOfInput { return i }
      i += 1
      remaining -= 1
    }
  }

  var peek: Token { tokens[position()] }
  func peek(_ offset: Int) -> Token { tokens[position(offset)] }
  func check(_ kind: TokenKind) -> Bool { peek.kind == kind }

  @discardableResult
  mutating func advance() -> Token {
    let i = position()
    current = Swift.min(i + 1, tokens.count - 1)
    return tokens[i]
  }

  mutating func match(_ kind: TokenKind) -> Bool {
    guard check(kind) else { return false }
    advance()
    return true
  }

  mutating func expect(_ kind: TokenKind, _ what: String) throws -> Token {
    guard check(kind) else { throw fail(what) }
    return advance()
  }

  /// Records "expected ..., found ..." at the next token and returns the error to throw.
  mutating func fail(_ expectation: String) -> Unwind {
    let token = peek
    if token.kind == .endOfInput {
      return fail("unexpected end of input: \(expectation)", at: token)
    }
    return fail("\(expectation), found \(token.describedForMessages)", at: token)
  }

  mutating func fail(_ message: String, at token: Token) -> Unwind {
    // the lexer has reported invalid text already; a second message would only repeat it
    if token.kind != .invalid { report(message, at: token.location, endOfInput: token.kind == .endOfInput) }
    return Unwind()
  }

  mutating func report(_ message: String, at location: SourceLocation, endOfInput: Bool = false) {
    diagnostics.append(Diagnostic(message: message, location: location, isEndOfInput: endOfInput))
  }

  /// Runs `body` with newlines significant or not, restoring the previous mode after.
  mutating func withNewlines<T>(significant: Bool, _ body: (inout Parser) throws -> T) rethrows -> T {
    newlinesSignificant.append(significant)
    defer { newlinesSignificant.removeLast() }
    return try body(&self)
  }

  /// Counts one level of nesting; refuses input nested deeper than `maxDepth`.
  mutating func enterNesting() throws {
    depth += 1
    if depth > Parser.maxDepth {
      let token = peek
      report("input nested too deeply (more than \(Parser.maxDepth) levels)", at: token.location)
      throw Unwind()
    }
    try enterChainLink()
  }

  mutating func leaveNesting() {
    depth -= 1
    height -= 1
  }

  /// Counts one more level of tree height: an operator or postfix operation whose left operand
  /// is the chain so far.
  mutating func enterChainLink() throws {
    height += 1
    if height > Parser.maxHeight {
      report(
        "expression too long (more than \(Parser.maxHeight) levels of operators, calls, indexing and attributes): split it into statements with variables",
        at: peek.location)
      throw Unwind()
    }
  }

  // MARK: statements

  mutating func program() -> [Stmt] {
    var statements: [Stmt] = []
    skipSeparators()
    while !check(.endOfInput) {
      if check(.rightBrace) {
        report("unexpected '}' with no open block", at: advance().location)
      } else if let s = statementRecovering() {
        statements.append(s)
      }
      skipSeparators()
      if diagnostics.last?.isEndOfInput == true { break }
    }
    return statements
  }

  mutating func skipSeparators() {
    while check(.newline) || check(.semicolon) { advance() }
  }

  /// Parses one statement and its terminator; on an error, skips to the next statement.
  mutating func statementRecovering() -> Stmt? {
    let savedModes = newlinesSignificant.count
    let savedDepth = (depth, height, loopDepth, functionDepth)
    do {
      var s = try statement()
      try terminate(&s)
      return s
    } catch {
      newlinesSignificant.removeLast(newlinesSignificant.count - savedModes)
      (depth, height, loopDepth, functionDepth) = savedDepth
      synchronize()
      return nil
    }
  }

  /// A statement ends at a newline, `;`, a closing `}` or the end of input.
  mutating func terminate(_ s: inout Stmt) throws {
    switch peek.kind {
    case .semicolon:
      advance()
      switch s.kind {
      case .expression(let e, _): s.kind = .expression(e, silent: true)
      case .assign(let t, let op, let v, _): s.kind = .assign(target: t, op: op, value: v, silent: true)
      default: break
      }
    case .newline: advance()
    case .rightBrace, .endOfInput: break
    case .equal:
      throw fail("unexpected '=': an assignment is a statement, not an expression", at: peek)
    default:
      throw fail("expected a new line or ';' after the statement, found \(peek.describedForMessages)", at: peek)
    }
  }

  /// Skips the rest of a broken statement: up to a newline or `;` outside brackets, or up to
  /// (not including) the `}` that closes the enclosing block.
  mutating func synchronize() {
    var nesting = 0
    while true {
      let token = tokens[current]
      switch token.kind {
      case .endOfInput: return
      case .newline where nesting == 0, .semicolon where nesting == 0:
        current += 1
        return
      case .leftParen, .leftBracket, .leftBrace: nesting += 1
      case .rightParen, .rightBracket: nesting = Swift.max(0, nesting - 1)
      case .rightBrace:
        if nesting == 0 { return }
        nesting -= 1
      default: break
      }
      current += 1
    }
  }

  mutating func statement() throws -> Stmt {
    let token = peek
    switch token.kind {
    case .fnKeyword where peek(1).kind == .identifier:
      advance()
      let name = advance()
      let decl = try functionRest(name: name.lexeme, location: token.location)
      return Stmt(kind: .function(decl), location: token.location)
    case .ifKeyword:
      return try ifStatement()
    case .whileKeyword:
      advance()
      let condition = try condition(after: "while")
      let body = try loopBody()
      return Stmt(kind: .whileLoop(condition: condition, body: body), location: token.location)
    case .forKeyword:
      advance()
      let variable = try expect(.identifier, "expected a loop variable name after 'for'")
      _ = try expect(.inKeyword, "expected 'in' after the loop variable")
      let iterable = try condition(after: "for ... in")
      let body = try loopBody()
      return Stmt(kind: .forLoop(variable: variable.lexeme, iterable: iterable, body: body), location: token.location)
    case .returnKeyword:
      advance()
      if functionDepth == 0 { report("'return' outside a function", at: token.location) }
      if [.newline, .semicolon, .rightBrace, .endOfInput].contains(peek.kind) {
        return Stmt(kind: .returnValue(nil), location: token.location)
      }
      return Stmt(kind: .returnValue(try expression()), location: token.location)
    case .breakKeyword, .continueKeyword:
      advance()
      if loopDepth == 0 { report("'\(token.kind.rawValue)' outside a loop", at: token.location) }
      return Stmt(kind: token.kind == .breakKeyword ? .breakLoop : .continueLoop, location: token.location)
    case .elseKeyword:
      throw fail("'else' without 'if' (write 'else' on the same line as the '}' that closes the if block)", at: token)
    default:
      return try expressionStatement()
    }
  }

  static let compoundAssignments: [TokenKind: BinaryOperator?] = [
    .equal: nil, .plusEqual: .add, .minusEqual: .subtract, .starEqual: .multiply, .slashEqual: .divide,
  ]

  mutating func expressionStatement() throws -> Stmt {
    let start = peek.location
    let expr = try expression()
    guard let op = Parser.compoundAssignments[peek.kind] else {
      return Stmt(kind: .expression(expr, silent: false), location: start)
    }
    advance()
    switch expr.kind {
    case .variable, .attribute, .index: break
    default:
      report("cannot assign to this expression (only to a name, an attribute or an index)", at: expr.location)
      throw Unwind()
    }
    let value = try expression()
    return Stmt(kind: .assign(target: expr, op: op, value: value, silent: false), location: start)
  }

  /// The condition of `if`/`while` or the iterable of `for`, with a hint for `=` typed for `==`.
  mutating func condition(after keyword: String) throws -> Expr {
    // `{` here opens the block unless it starts a record literal (`{name: ...`)
    let startsRecord = (peek(1).kind == .identifier || peek(1).kind == .string) && peek(2).kind == .colon
    if check(.leftBrace) && !startsRecord { throw fail("expected an expression after '\(keyword)'") }
    let e = try expression()
    if check(.equal) { throw fail("unexpected '=' in a condition: use '==' to compare", at: peek) }
    return e
  }

  mutating func ifStatement() throws -> Stmt {
    let start = advance()
    let cond = try condition(after: "if")
    let then = try block(after: "the if condition")
    var otherwise: [Stmt]? = nil
    if match(.elseKeyword) {
      if check(.ifKeyword) {
        try enterNesting()
        defer { leaveNesting() }
        otherwise = [try ifStatement()]
      } else {
        otherwise = try block(after: "'else'")
      }
    }
    return Stmt(kind: .ifElse(condition: cond, then: then, otherwise: otherwise), location: start.location)
  }

  mutating func loopBody() throws -> [Stmt] {
    loopDepth += 1
    defer { loopDepth -= 1 }
    return try block(after: "the loop header")
  }

  /// `{ statements }`, with newlines significant inside.
  mutating func block(after what: String) throws -> [Stmt] {
    let open = try expect(.leftBrace, "expected '{' after \(what)")
    try enterNesting()
    defer { leaveNesting() }
    return try withNewlines(significant: true) { p in
      var statements: [Stmt] = []
      p.skipSeparators()
      while !p.check(.rightBrace) {
        if p.check(.endOfInput) {
          throw p.fail(
            "unexpected end of input: expected '}' to close the block opened at \(open.location.line):\(open.location.column)",
            at: p.peek)
        }
        if let s = p.statementRecovering() { statements.append(s) }
        if p.diagnostics.last?.isEndOfInput == true { throw Unwind() }
        p.skipSeparators()
      }
      p.advance()
      return statements
    }
  }

  /// `(params) { body }` or `(params) => expression` after `fn` or `fn name`.
  mutating func functionRest(name: String?, location: SourceLocation) throws -> FunctionDecl {
    let open = try expect(.leftParen, name == nil ? "expected '(' after 'fn'" : "expected '(' after the function name")
    let params = try withNewlines(significant: false) { p in try p.parameters(open: open) }
    let savedLoops = loopDepth
    loopDepth = 0
    functionDepth += 1
    defer {
      loopDepth = savedLoops
      functionDepth -= 1
    }
    if check(.arrow) {
      let arrow = advance()
      let value = try expression()
      return FunctionDecl(
        name: name, parameters: params, body: [Stmt(kind: .returnValue(value), location: arrow.location)],
        location: location)
    }
    let body = try block(after: "the parameter list (or '=>' and an expression)")
    return FunctionDecl(name: name, parameters: params, body: body, location: location)
  }

  mutating func parameters(open: Token) throws -> [ParameterDecl] {
    var params: [ParameterDecl] = []
    while !check(.rightParen) {
      let name = try expect(.identifier, "expected a parameter name")
      if params.contains(where: { $0.name == name.lexeme }) {
        report("duplicate parameter '\(name.lexeme)'", at: name.location)
      }
      var defaultValue: Expr? = nil
      if match(.colon) {
        defaultValue = try expression()
      } else if check(.equal) {
        throw fail("write a default value as '\(name.lexeme): value', like a keyword argument", at: peek)
      } else if let previous = params.last, previous.defaultValue != nil {
        report("parameter '\(name.lexeme)' without a default follows one with a default", at: name.location)
      }
      params.append(ParameterDecl(name: name.lexeme, defaultValue: defaultValue, location: name.location))
      if !match(.comma) { break }
    }
    _ = try expect(
      .rightParen, "expected ',' or ')' in the parameter list opened at \(open.location.line):\(open.location.column)")
    return params
  }
}
