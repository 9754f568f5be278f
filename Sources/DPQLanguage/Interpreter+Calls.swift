/// Calling user functions, builtins, bound methods and callable host objects.
extension Interpreter {
  func evaluateCall(_ callee: Expr, _ arguments: [CallArgument], _ env: Environment, at location: SourceLocation) throws
    -> Value
  {
    // `x.name(...)` calls the method directly instead of building a bound method first
    if case .attribute(let object, let name) = callee.kind {
      let receiver = try evaluate(object, env)
      let args = try evaluateArguments(arguments, env)
      return try callMethod(on: receiver, name, args, at: callee.location)
    }
    let function = try evaluate(callee, env)
    let args = try evaluateArguments(arguments, env)
    return try call(function, args, at: location)
  }

  func evaluateArguments(_ arguments: [CallArgument], _ env: Environment) throws -> CallArguments {
    var result = CallArguments()
    for a in arguments {
      let v = try evaluate(a.value, env)
      if let label = a.label { result.keywords.append((label, v)) } else { result.positional.append(v) }
    }
    return result
  }

  /// Calls any callable value; builtins use this to call back into script functions.
  public func call(_ function: Value, _ arguments: CallArguments, at location: SourceLocation) throws -> Value {
    switch function {
    case .function(let c):
      return try callClosure(c, arguments, at: location)
    case .builtin(let b):
      return try callBuiltin(b, receiver: nil, arguments, at: location)
    case .method(let m):
      return try callMethod(on: m.receiver, m.name, arguments, at: location)
    case .host(let h):
      if let b = registry.method("call", on: h.typeName) {
        return try callBuiltin(b, receiver: function, arguments, at: location)
      }
      if let v = try located(location, { try h.callMethod("call", arguments) }) { return v }
      throw runtimeError("\(h.typeName) is not callable", at: location)
    default:
      throw runtimeError("\(function.typeName) is not callable", at: location)
    }
  }

  /// Convenience for builtins: calls with positional arguments only.
  public func call(_ function: Value, _ positional: [Value], at location: SourceLocation) throws -> Value {
    try call(function, CallArguments(positional: positional), at: location)
  }

  /// `receiver.name(arguments)`: a record field holding a function, a registered method, or a
  /// method the host object implements itself.
  func callMethod(on receiver: Value, _ name: String, _ arguments: CallArguments, at location: SourceLocation) throws
    -> Value
  {
    if case .record(let r) = receiver, let field = r[name] {
      return try call(field, arguments, at: location)
    }
    let typeName = receiver.typeName
    if let b = registry.method(name, on: typeName) {
      if b.isProperty {
        throw runtimeError(
          "'\(name)' is an attribute of \(typeName), not a method: write '.\(name)' without parentheses", at: location)
      }
      return try callBuiltin(b, receiver: receiver, arguments, at: location)
    }
    if case .host(let h) = receiver {
      if let v = try located(location, { try h.callMethod(name, arguments) }) { return v }
      if let attribute = try located(location, { try h.attribute(name) }) {
        return try call(attribute, arguments, at: location)
      }
    }
    let what: String
    if case .record = receiver {
      what = "record has no field or method '\(name)'"
    } else {
      what = "\(typeName) has no method '\(name)'"
    }
    throw runtimeError(what + Suggestions.hint(for: name, among: attributeNames(of: receiver)), at: location)
  }

  func callBuiltin(_ b: Builtin, receiver: Value?, _ arguments: CallArguments, at location: SourceLocation) throws
    -> Value
  {
    try located(location) {
      let bound = try Arguments.bind(b, receiver: receiver, call: arguments, interpreter: self, location: location)
      return try b.body(bound)
    }
  }

  func callClosure(_ closure: Closure, _ arguments: CallArguments, at location: SourceLocation) throws -> Value {
    let decl = closure.declaration
    if frames.count >= maxCallDepth {
      throw runtimeError(
        "too many nested calls (more than \(maxCallDepth)): does '\(closure.name)' recurse without end?", at: location)
    }
    if lowestStackAddress != 0 && Interpreter.currentStackAddress() < lowestStackAddress {
      throw runtimeError(
        "calls nested too deeply for the stack (\(frames.count) calls deep, each nesting many expressions): does '\(closure.name)' recurse without end?",
        at: location)
    }
    try tick(location)
    let env = Environment(parent: closure.environment, kind: .function)
    try bindParameters(decl, closure.name, arguments, env, at: location)
    frames.append(Frame(name: "fn \(closure.name)", callSite: location))
    defer { frames.removeLast() }
    let (flow, value) = try executeForValue(decl.body, env)
    if case .returned(let v) = flow { return v }
    return value
  }

  /// Runs a function body whose value, without `return`, is that of its last statement: an
  /// expression statement's value, or the value of the branch an `if` takes (so
  /// `fn f(n) { if n < 2 { n } else { f(n - 1) } }` works), else nil.
  func executeForValue(_ statements: [Stmt], _ env: Environment) throws -> (Flow, Value) {
    for (i, s) in statements.enumerated() {
      if i == statements.count - 1 {
        switch s.kind {
        case .expression(let e, _):
          return (.normal, try evaluate(e, env))
        case .ifElse(let condition, let then, let otherwise):
          if try truthy(condition, env) { return try executeForValue(then, env) }
          if let o = otherwise { return try executeForValue(o, env) }
          return (.normal, .nilValue)
        default:
          break
        }
      }
      let flow = try execute(s, env)
      if case .normal = flow { continue }
      return (flow, .nilValue)
    }
    return (.normal, .nilValue)
  }

  /// Binds positional and keyword arguments to the parameters; defaults are evaluated now, in
  /// the new scope, so they can use earlier parameters.
  func bindParameters(
    _ decl: FunctionDecl, _ name: String, _ arguments: CallArguments, _ env: Environment,
    at location: SourceLocation
  ) throws {
    let params = decl.parameters
    if arguments.positional.count > params.count {
      let required = params.filter { $0.defaultValue == nil }.count
      let expected = required == params.count ? "\(params.count)" : "at most \(params.count)"
      throw runtimeError(
        "too many arguments to '\(name)' (expected \(expected), got \(arguments.positional.count))", at: location)
    }
    var values = [Value?](repeating: nil, count: params.count)
    for (i, v) in arguments.positional.enumerated() { values[i] = v }
    for (key, v) in arguments.keywords {
      guard let i = params.firstIndex(where: { $0.name == key }) else {
        let names = params.map(\.name)
        let hint = Suggestions.hint(for: key, among: names)
        throw runtimeError("unknown keyword argument '\(key)' to '\(name)'" + hint, at: location)
      }
      if values[i] != nil {
        throw runtimeError("argument '\(key)' to '\(name)' given twice (by position and by keyword)", at: location)
      }
      values[i] = v
    }
    for (i, p) in params.enumerated() {
      if let v = values[i] {
        env.values[p.name] = v
      } else if let d = p.defaultValue {
        env.values[p.name] = try evaluate(d, env)
      } else {
        throw runtimeError("missing argument #\(i + 1) '\(p.name)' to '\(name)'", at: location)
      }
    }
  }
}
