/// The syntax tree. Every node carries the `SourceLocation` its diagnostics point at.

/// Binary operators, by their spelling.
public enum BinaryOperator: String, Sendable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case remainder = "%"
  case power = "**"
  case matmul = "@"
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="
  case contains = "in"

  var isComparison: Bool {
    switch self {
    case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .contains: return true
    default: return false
    }
  }
}

public enum UnaryOperator: String, Sendable {
  case negate = "-"
  case not = "not"
}

public enum LogicalOperator: String, Sendable {
  case and, or
}

/// One argument of a call: positional when `label` is nil, keyword otherwise.
public struct CallArgument {
  public var label: String?
  public var value: Expr
  public var location: SourceLocation
}

/// One component of a subscript: `i` or `start:stop:step` with any part omitted.
public enum IndexItem {
  case single(Expr)
  case slice(start: Expr?, stop: Expr?, step: Expr?)
}

/// One part of an interpolated string.
public enum InterpolationPart {
  case text(String)
  case expression(Expr, spec: String?)
}

/// A parameter of a user function, with its default value evaluated at call time.
public struct ParameterDecl {
  public var name: String
  public var defaultValue: Expr?
  public var location: SourceLocation
}

/// A function body shared by every closure created from it.
public final class FunctionDecl {
  /// nil for a lambda.
  public let name: String?
  public let parameters: [ParameterDecl]
  public let body: [Stmt]
  public let location: SourceLocation

  init(name: String?, parameters: [ParameterDecl], body: [Stmt], location: SourceLocation) {
    self.name = name
    self.parameters = parameters
    self.body = body
    self.location = location
  }

  /// `square(x, y: 2)` as shown in help and in the REPL (defaults other than literals as `...`).
  var signature: String {
    "\(name ?? "fn")("
      + parameters.map { p in
        guard let d = p.defaultValue else { return p.name }
        return "\(p.name): \(d.literalText ?? "...")"
      }.joined(separator: ", ") + ")"
  }
}

public indirect enum ExprKind {
  case number(Double)
  case string(String)
  case interpolated([InterpolationPart])
  case bool(Bool)
  case nilLiteral
  case variable(String)
  case list([Expr])
  case record([(key: String, value: Expr)])
  case unary(UnaryOperator, Expr)
  case binary(BinaryOperator, Expr, Expr)
  case logical(LogicalOperator, Expr, Expr)
  case call(Expr, [CallArgument])
  case attribute(Expr, String)
  case index(Expr, [IndexItem])
  case function(FunctionDecl)
}

/// An expression and where it is.
public struct Expr {
  public var kind: ExprKind
  public var location: SourceLocation

  /// The source form of a literal or a name (for signatures), nil for anything else.
  var literalText: String? {
    switch kind {
    case .number(let x): return Value.format(number: x)
    case .string(let s): return Value.quote(s)
    case .bool(let b): return b ? "true" : "false"
    case .nilLiteral: return "nil"
    case .variable(let name): return name
    case .unary(.negate, let e): return e.literalText.map { "-" + $0 }
    default: return nil
    }
  }
}

public indirect enum StmtKind {
  /// `silent` when the statement ended with `;` (the REPL then prints nothing).
  case expression(Expr, silent: Bool)
  /// `target = value`, or `target op= value` when `op` is set.
  case assign(target: Expr, op: BinaryOperator?, value: Expr, silent: Bool)
  case ifElse(condition: Expr, then: [Stmt], otherwise: [Stmt]?)
  case whileLoop(condition: Expr, body: [Stmt])
  case forLoop(variable: String, iterable: Expr, body: [Stmt])
  case function(FunctionDecl)
  case returnValue(Expr?)
  case breakLoop
  case continueLoop
}

/// A statement and where it starts.
public struct Stmt {
  public var kind: StmtKind
  public var location: SourceLocation
}
