import Foundation

/// Expressions: precedence climbing over one table, then unary, postfix and primary forms.
///
/// Precedence, loosest first: `or`, `and`, `not`, comparisons (`== != < <= > >= in`, not
/// chainable), `+ -`, `* / % @`, unary `-`, `**` (right-associative, binds tighter than a unary
/// minus on its left: `-x ** 2` is `-(x ** 2)`), then calls, indexing and attributes.
extension Parser {
  enum Precedence: Int {
    case or = 1
    case and, not, comparison, term, factor, unary, power
  }

  enum BinaryForm {
    case arithmetic(BinaryOperator)
    case logical(LogicalOperator)
  }

  /// The precedence table: every binary operator token, its level and its node.
  static let binaryOperators: [TokenKind: (Precedence, BinaryForm)] = [
    .orKeyword: (.or, .logical(.or)),
    .andKeyword: (.and, .logical(.and)),
    .equalEqual: (.comparison, .arithmetic(.equal)), .bangEqual: (.comparison, .arithmetic(.notEqual)),
    .less: (.comparison, .arithmetic(.less)), .lessEqual: (.comparison, .arithmetic(.lessEqual)),
    .greater: (.comparison, .arithmetic(.greater)), .greaterEqual: (.comparison, .arithmetic(.greaterEqual)),
    .inKeyword: (.comparison, .arithmetic(.contains)),
    .plus: (.term, .arithmetic(.add)), .minus: (.term, .arithmetic(.subtract)),
    .star: (.factor, .arithmetic(.multiply)), .slash: (.factor, .arithmetic(.divide)),
    .percent: (.factor, .arithmetic(.remainder)), .at: (.factor, .arithmetic(.matmul)),
    .power: (.power, .arithmetic(.power)),
  ]

  mutating func expression() throws -> Expr {
    try enterNesting()
    defer { leaveNesting() }
    return try binary(.or)
  }

  mutating func binary(_ minimum: Precedence) throws -> Expr {
    var left = try prefix()
    var leftIsComparison = false
    var links = 0
    defer { height -= links }
    while let (precedence, form) = Parser.binaryOperators[peek.kind], precedence.rawValue >= minimum.rawValue {
      let opToken = advance()
      try enterChainLink()
      links += 1
      if precedence == .comparison && leftIsComparison {
        report("comparisons cannot be chained: write 'a < b and b < c' instead of 'a < b < c'", at: opToken.location)
        throw Unwind()
      }
      // `**` is right-associative; the others are left-associative
      let next = precedence == .power ? precedence : Precedence(rawValue: precedence.rawValue + 1) ?? .power
      try enterNesting()
      defer { leaveNesting() }
      let right = try binary(next)
      switch form {
      case .arithmetic(let op): left = Expr(kind: .binary(op, left, right), location: opToken.location)
      case .logical(let op): left = Expr(kind: .logical(op, left, right), location: opToken.location)
      }
      leftIsComparison = precedence == .comparison
    }
    return left
  }

  mutating func prefix() throws -> Expr {
    let token = peek
    switch token.kind {
    case .notKeyword:
      advance()
      try enterNesting()
      defer { leaveNesting() }
      return Expr(kind: .unary(.not, try binary(.not)), location: token.location)
    case .minus:
      advance()
      try enterNesting()
      defer { leaveNesting() }
      return Expr(kind: .unary(.negate, try binary(.unary)), location: token.location)
    default:
      return try postfix()
    }
  }

  mutating func postfix() throws -> Expr {
    var e = try primary()
    var links = 0
    defer { height -= links }
    while true {
      let token = peek
      if [.leftParen, .leftBracket, .dot].contains(token.kind) {
        try enterChainLink()
        links += 1
      }
      switch token.kind {
      case .leftParen:
        advance()
        let args = try withNewlines(significant: false) { p in try p.callArguments(open: token) }
        e = Expr(kind: .call(e, args), location: e.location.through(token.location))
      case .leftBracket:
        advance()
        let items = try withNewlines(significant: false) { p in try p.indexItems(open: token) }
        e = Expr(kind: .index(e, items), location: token.location)
      case .dot:
        advance()
        let name = peek
        guard name.kind == .identifier || name.kind.isKeyword else {
          throw fail("expected an attribute name after '.'")
        }
        advance()
        e = Expr(kind: .attribute(e, name.lexeme), location: name.location)
      default:
        return e
      }
    }
  }

  mutating func callArguments(open: Token) throws -> [CallArgument] {
    var args: [CallArgument] = []
    while !check(.rightParen) {
      let start = peek
      if start.kind == .identifier && peek(1).kind == .colon {
        advance()
        advance()
        if args.contains(where: { $0.label == start.lexeme }) {
          report("keyword argument '\(start.lexeme)' given twice", at: start.location)
        }
        args.append(CallArgument(label: start.lexeme, value: try expression(), location: start.location))
      } else if start.kind == .identifier && peek(1).kind == .equal {
        throw fail("keyword arguments are written with ':' - write '\(start.lexeme): value'", at: peek(1))
      } else {
        let value = try expression()
        if args.contains(where: { $0.label != nil }) {
          report("positional argument after a keyword argument", at: value.location)
        }
        args.append(CallArgument(label: nil, value: value, location: value.location))
      }
      if !match(.comma) { break }
    }
    _ = try expect(
      .rightParen,
      "expected ',' or ')' after an argument (the call's '(' is at \(open.location.line):\(open.location.column))")
    return args
  }

  /// `i`, `a:b`, `a:b:c`, `:` and `::2`, separated by commas.
  mutating func indexItems(open: Token) throws -> [IndexItem] {
    var items: [IndexItem] = []
    repeat {
      if check(.rightBracket) { break }
      var start: Expr? = nil
      if !check(.colon) { start = try expression() }
      if match(.colon) {
        var stop: Expr? = nil
        var step: Expr? = nil
        if ![.colon, .comma, .rightBracket].contains(peek.kind) { stop = try expression() }
        if match(.colon), ![.comma, .rightBracket].contains(peek.kind) { step = try expression() }
        items.append(.slice(start: start, stop: stop, step: step))
      } else if let s = start {
        items.append(.single(s))
      }
    } while match(.comma)
    if items.isEmpty { throw fail("expected an index inside '[]'") }
    _ = try expect(
      .rightBracket, "expected ',' or ']' after an index (the '[' is at \(open.location.line):\(open.location.column))")
    return items
  }

  mutating func primary() throws -> Expr {
    let token = peek
    switch token.kind {
    case .number:
      advance()
      return Expr(kind: .number(token.number), location: token.location)
    case .string:
      advance()
      return try stringLiteral(token)
    case .trueKeyword, .falseKeyword:
      advance()
      return Expr(kind: .bool(token.kind == .trueKeyword), location: token.location)
    case .nilKeyword:
      advance()
      return Expr(kind: .nilLiteral, location: token.location)
    case .identifier:
      advance()
      return Expr(kind: .variable(token.lexeme), location: token.location)
    case .leftParen:
      advance()
      return try withNewlines(significant: false) { p in
        if p.check(.rightParen) { throw p.fail("expected an expression inside '()'") }
        let inner = try p.expression()
        _ = try p.expect(
          .rightParen, "expected ')' to close the '(' at \(token.location.line):\(token.location.column)")
        return inner
      }
    case .leftBracket:
      advance()
      return try withNewlines(significant: false) { p in
        var items: [Expr] = []
        while !p.check(.rightBracket) {
          items.append(try p.expression())
          if !p.match(.comma) { break }
        }
        _ = try p.expect(
          .rightBracket, "expected ',' or ']' in the list opened at \(token.location.line):\(token.location.column)")
        return Expr(kind: .list(items), location: token.location)
      }
    case .leftBrace:
      advance()
      return try withNewlines(significant: false) { p in try p.recordLiteral(open: token) }
    case .fnKeyword:
      advance()
      if check(.identifier) {
        throw fail(
          "a function expression has no name: write 'fn(...)', or declare 'fn \(peek.lexeme)(...)' as a statement",
          at: peek)
      }
      return Expr(kind: .function(try functionRest(name: nil, location: token.location)), location: token.location)
    default:
      throw fail("expected an expression")
    }
  }

  mutating func recordLiteral(open: Token) throws -> Expr {
    var fields: [(key: String, value: Expr)] = []
    while !check(.rightBrace) {
      let key = peek
      let name: String
      switch key.kind {
      case .identifier: name = key.lexeme
      case .string where key.parts.count == 1:
        if case .text(let t) = key.parts[0] {
          name = t
        } else {
          throw fail("a record key must be a name or a plain string", at: key)
        }
      default:
        throw fail("expected a field name in the record opened at \(open.location.line):\(open.location.column)")
      }
      advance()
      _ = try expect(.colon, "expected ':' after the field name '\(name)'")
      if fields.contains(where: { $0.key == name }) { report("duplicate field '\(name)' in record", at: key.location) }
      fields.append((name, try expression()))
      if !match(.comma) { break }
    }
    _ = try expect(
      .rightBrace, "expected ',' or '}' in the record opened at \(open.location.line):\(open.location.column)")
    return Expr(kind: .record(fields), location: open.location)
  }

  /// A string token becomes a plain string or an interpolation whose `{parts}` are parsed here.
  mutating func stringLiteral(_ token: Token) throws -> Expr {
    if token.parts.count == 1, case .text(let t) = token.parts[0] {
      return Expr(kind: .string(t), location: token.location)
    }
    var parts: [InterpolationPart] = []
    for part in token.parts {
      switch part {
      case .text(let t): parts.append(.text(t))
      case .interpolation(let source, let location, let spec):
        let lexed = Lexer.tokenize(source, file: location.file, start: location)
        var sub = Parser(tokens: lexed.tokens)
        sub.depth = depth
        sub.height = height
        sub.newlinesSignificant = [false]
        var errors = lexed.diagnostics
        var expr: Expr? = nil
        do {
          let e = try sub.expression()
          if !sub.check(.endOfInput) { throw sub.fail("expected '}' after the interpolated expression") }
          expr = e
        } catch {}
        errors += sub.diagnostics
        if !errors.isEmpty {
          for d in errors {
            // running out of input inside `{...}` is a broken string, not a reason to read more
            diagnostics.append(
              Diagnostic(
                message: d.message.replacingOccurrences(
                  of: "unexpected end of input", with: "unexpected end of interpolation"),
                location: d.location))
          }
          throw Unwind()
        }
        if let e = expr { parts.append(.expression(e, spec: spec)) }
      }
    }
    return Expr(kind: .interpolated(parts), location: token.location)
  }
}
