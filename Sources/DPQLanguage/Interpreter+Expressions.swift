/// Expression evaluation, attribute access and assignment.
extension Interpreter {
  func evaluate(_ expr: Expr, _ env: Environment) throws -> Value {
    // operands, callees and indexed values are evaluated by recursion, a few frames per level of
    // the tree: the parser bounds the tree's height, and this bounds the stack it may take on
    // whatever thread the host runs scripts (calls alone were checked before; 50,000 `+` were not).
    // The line is `expressionStackSlack` below the calls' one, so a runaway recursion is still
    // reported as one, by the call check, and a deep expression gets the reserve's first part.
    // One read: another thread's run may reset the field to 0 between a check and a use.
    let lowest = lowestStackAddress
    if lowest > Interpreter.expressionStackSlack
      && Interpreter.currentStackAddress() < lowest - Interpreter.expressionStackSlack
    {
      throw runtimeError("expression nested too deeply for the stack (\(frames.count) calls deep)", at: expr.location)
    }
    switch expr.kind {
    case .number(let x): return .number(x)
    case .string(let s): return .string(s)
    case .bool(let b): return .bool(b)
    case .nilLiteral: return .nilValue
    case .interpolated(let parts):
      var out = ""
      for part in parts {
        switch part {
        case .text(let t): out += t
        case .expression(let e, let spec):
          let v = try evaluate(e, env)
          if let spec {
            out += try located(e.location) { try StringFormatting.format(v, spec: spec, options: tensorPrintOptions) }
          } else {
            out += text(of: v)
          }
        }
      }
      return .string(out)
    case .variable(let name):
      return try lookup(name, env, at: expr.location)
    case .list(let items):
      return .list(ListObject(try items.map { try evaluate($0, env) }))
    case .record(let fields):
      return .record(RecordObject(try fields.map { ($0.key, try evaluate($0.value, env)) }))
    case .unary(let op, let operand):
      let v = try evaluate(operand, env)
      switch op {
      case .negate: return try located(expr.location) { try Operators.negate(v) }
      case .not: return .bool(!(try located(operand.location) { try v.isTruthy() }))
      }
    case .binary(let op, let left, let right):
      let a = try evaluate(left, env)
      let b = try evaluate(right, env)
      return try located(expr.location) { try Operators.binary(op, a, b) }
    case .logical(let op, let left, let right):
      let a = try evaluate(left, env)
      let aTrue = try located(left.location) { try a.isTruthy() }
      switch op {
      case .and: return aTrue ? try evaluate(right, env) : a
      case .or: return aTrue ? a : try evaluate(right, env)
      }
    case .call(let callee, let arguments):
      return try evaluateCall(callee, arguments, env, at: expr.location)
    case .attribute(let object, let name):
      let receiver = try evaluate(object, env)
      return try attribute(of: receiver, name, at: expr.location)
    case .index(let object, let items):
      let container = try evaluate(object, env)
      let indices = try items.map { try evaluateIndex($0, env) }
      return try located(expr.location) { try subscriptGet(container, indices) }
    case .function(let decl):
      cycles.closureCaptured(env)
      return .function(Closure(declaration: decl, environment: env))
    }
  }

  func lookup(_ name: String, _ env: Environment, at location: SourceLocation) throws -> Value {
    if let v = env.lookup(name) ?? builtinValues[name] { return v }
    let candidates = env.visibleNames.union(builtinValues.keys)
    throw runtimeError("undefined variable '\(name)'" + Suggestions.hint(for: name, among: candidates), at: location)
  }

  // MARK: attributes

  /// `value.name`: a record field, a host attribute, a registered property (evaluated) or a
  /// registered method (bound, not called).
  func attribute(of value: Value, _ name: String, at location: SourceLocation) throws -> Value {
    switch value {
    case .record(let r):
      if let v = r[name] { return v }
    case .host(let h):
      if let v = try located(location, { try h.attribute(name) }) { return v }
    default:
      break
    }
    if let b = registry.method(name, on: value.typeName) {
      if b.isProperty { return try callBuiltin(b, receiver: value, CallArguments(), at: location) }
      return .method(BoundMethod(receiver: value, name: name))
    }
    let what: String
    if case .record = value {
      what = "record has no field '\(name)'"
    } else {
      what = "\(value.typeName) has no attribute '\(name)'"
    }
    throw runtimeError(what + Suggestions.hint(for: name, among: attributeNames(of: value)), at: location)
  }

  /// Names valid after `value.`: fields, host attributes, registered methods and properties.
  public func attributeNames(of value: Value) -> [String] {
    var names: [String] = []
    switch value {
    case .record(let r): names = r.keys
    case .host(let h): names = h.attributeNames
    default: break
    }
    if let methods = registry.methods[value.typeName] {
      names += methods.keys.sorted().filter { !names.contains($0) }
    }
    return names
  }

  func setAttribute(of value: Value, _ name: String, to newValue: Value, at location: SourceLocation) throws {
    switch value {
    case .record(let r):
      r[name] = newValue
      cycles.stored(newValue, into: value)
    case .host(let h):
      guard try located(location, { try h.setAttribute(name, newValue) }) else {
        throw runtimeError("cannot set attribute '\(name)' of \(h.typeName)", at: location)
      }
    default:
      throw runtimeError("cannot set attribute '\(name)' of \(value.typeName)", at: location)
    }
  }

  // MARK: assignment

  func assign(_ target: Expr, op: BinaryOperator?, valueExpr: Expr, _ env: Environment, at location: SourceLocation)
    throws
  {
    var value = try evaluate(valueExpr, env)
    switch target.kind {
    case .variable(let name):
      if let op {
        let current = try lookup(name, env, at: target.location)
        value = try located(location) { try Operators.binary(op, current, value) }
        let scope = env.assignmentScope(for: name)
        if env.kind == .function && scope.values[name] == nil && globals.values[name] != nil {
          throw runtimeError(
            "cannot update global '\(name)' inside a function: functions read globals but do not rebind them (return the new value, or keep it in a list or record)",
            at: target.location)
        }
        scope.values[name] = value
      } else {
        env.assignmentScope(for: name).values[name] = value
      }
    case .attribute(let object, let name):
      let receiver = try evaluate(object, env)
      if let op {
        let current = try attribute(of: receiver, name, at: target.location)
        value = try located(location) { try Operators.binary(op, current, value) }
      }
      try setAttribute(of: receiver, name, to: value, at: target.location)
    case .index(let object, let items):
      let indices = try items.map { try evaluateIndex($0, env) }
      try assignIndexed(object, indices, op: op, value, env, at: target.location, operatorLocation: location)
    default:
      throw runtimeError("cannot assign to this expression", at: target.location)
    }
  }

  /// `container[indices] (op)= value`. Lists and records change in place; a tensor is a value, so
  /// the changed tensor is written back to where it came from (a variable, field or element).
  func assignIndexed(
    _ object: Expr, _ indices: [ScriptIndex], op: BinaryOperator?, _ value: Value,
    _ env: Environment, at location: SourceLocation, operatorLocation: SourceLocation
  ) throws {
    var value = value
    // a tensor in a variable: take it out of the scope first so the write happens in place
    // instead of copying the whole tensor (copy-on-write sees a unique reference)
    if case .variable(let name) = object.kind, let scope = env.scope(defining: name),
      case .tensor(var t)? = scope.values[name]
    {
      if let op {
        let current = try located(location) { try subscriptGet(.tensor(t), indices) }
        value = try located(operatorLocation) { try Operators.binary(op, current, value) }
      }
      scope.values[name] = .nilValue
      defer { scope.values[name] = .tensor(t) }
      try located(location) { try TensorBridge.assign(&t, indices, value) }
      return
    }
    let container = try evaluate(object, env)
    if let op {
      let current = try located(location) { try subscriptGet(container, indices) }
      value = try located(operatorLocation) { try Operators.binary(op, current, value) }
    }
    if let updated = try located(location, { try subscriptSet(container, indices, value) }) {
      try assignValue(updated, to: object, env, at: location)
    }
  }

  /// Stores an already computed value into an assignable expression (tensor write-back).
  func assignValue(_ value: Value, to target: Expr, _ env: Environment, at location: SourceLocation) throws {
    switch target.kind {
    case .variable(let name):
      (env.scope(defining: name) ?? env.assignmentScope(for: name)).values[name] = value
    case .attribute(let object, let name):
      try setAttribute(of: try evaluate(object, env), name, to: value, at: target.location)
    case .index(let object, let items):
      let indices = try items.map { try evaluateIndex($0, env) }
      try assignIndexed(object, indices, op: nil, value, env, at: target.location, operatorLocation: location)
    default:
      throw runtimeError("cannot assign to this expression", at: target.location)
    }
  }
}

extension Environment {
  /// The scope that holds `name`, if any.
  func scope(defining name: String) -> Environment? {
    var scope: Environment? = self
    while let s = scope {
      if s.values[name] != nil { return s }
      scope = s.parent
    }
    return nil
  }
}
