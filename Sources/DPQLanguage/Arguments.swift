import DPQTensor

/// The arguments of one builtin call, bound to its signature and type-checked, with typed
/// accessors by parameter name. Defaults are filled in; variadic arguments are in `rest`.
public struct Arguments {
  public let builtin: Builtin
  /// The value a method was called on (`t` in `t.sum()`), nil for a plain function.
  public let receiver: Value?
  /// The session's interpreter: output, random generator, calling back into script functions.
  public let interpreter: Interpreter
  /// Where the call is written.
  public let location: SourceLocation
  public let rest: [Value]
  private let values: [Value]
  /// How each parameter was passed: by position (its number) or by keyword (nil).
  private let positions: [Int?]

  /// Binds call-site arguments to `builtin`'s parameters, Lua-style errors on a mismatch.
  package static func bind(
    _ builtin: Builtin, receiver: Value?, call: CallArguments,
    interpreter: Interpreter, location: SourceLocation
  ) throws -> Arguments {
    let params = builtin.parameters
    let name = builtin.name
    var values = [Value?](repeating: nil, count: params.count)
    var positions = [Int?](repeating: nil, count: params.count)
    var rest: [Value] = []
    let positionalSlots = params.indices.filter { params[$0].kind == .positional }
    let variadic = params.firstIndex { $0.kind == .variadic }

    for (i, v) in call.positional.enumerated() {
      if i < positionalSlots.count {
        values[positionalSlots[i]] = v
        positions[positionalSlots[i]] = i + 1
      } else if let slot = variadic {
        let number = i + 1
        if !params[slot].type.accepts(v) {
          throw badArgument(
            "#\(number)", name, "\(params[slot].type) expected, got \(params[slot].type.describeRejected(v))")
        }
        rest.append(v)
      } else {
        let most = positionalSlots.count
        let required = positionalSlots.filter { params[$0].isRequired }.count
        let expected = required == most ? "\(most)" : "at most \(most)"
        throw ScriptError.failure(
          "too many arguments to '\(name)' (expected \(expected), got \(call.positional.count))")
      }
    }
    for (key, v) in call.keywords {
      guard let slot = params.firstIndex(where: { $0.name == key && $0.kind != .variadic }) else {
        let names = params.filter { $0.kind != .variadic }.map(\.name)
        let hint = Suggestions.hint(for: key, among: names)
        let accepted =
          hint.isEmpty
          ? (names.isEmpty
            ? " (it takes no keyword arguments)" : " (it accepts \(names.map { "'\($0)'" }.joined(separator: ", ")))")
          : hint
        throw ScriptError.failure("unknown keyword argument '\(key)' to '\(name)'\(accepted)")
      }
      if values[slot] != nil {
        throw ScriptError.failure("argument '\(key)' to '\(name)' given twice (by position and by keyword)")
      }
      values[slot] = v
    }
    var bound: [Value] = []
    bound.reserveCapacity(params.count)
    for (i, p) in params.enumerated() {
      if let v = values[i] {
        if !p.type.accepts(v) {
          let which = positions[i].map { "#\($0)" } ?? "'\(p.name)'"
          throw badArgument(which, name, "\(p.type) expected, got \(p.type.describeRejected(v))")
        }
        bound.append(v)
      } else if let d = p.defaultValue {
        bound.append(d)
      } else if p.kind == .variadic {
        bound.append(.nilValue)
      } else if p.kind == .keywordOnly {
        throw ScriptError.failure("missing keyword argument '\(p.name)' to '\(name)'")
      } else {
        let number = (positionalSlots.firstIndex(of: i) ?? i) + 1
        throw ScriptError.failure("missing argument #\(number) '\(p.name)' to '\(name)'")
      }
    }
    return Arguments(
      builtin: builtin, receiver: receiver, interpreter: interpreter, location: location,
      rest: rest, values: bound, positions: positions)
  }

  static func badArgument(_ which: String, _ function: String, _ message: String) -> ScriptError {
    .failure("bad argument \(which) to '\(function)' (\(message))")
  }

  /// `bad argument #2 to 'reshape' (message)` for the parameter `name`.
  public func badArgument(_ name: String, _ message: String) -> ScriptError {
    // a name the builtin does not declare is a binding's slip, but the user who reached it
    // still gets the message, not a trap (plot_map(5) used to end the process here)
    let i = builtin.parameters.firstIndex { $0.name == name }
    let which = i.flatMap { positions[$0] }.map { "#\($0)" } ?? "'\(name)'"
    return Arguments.badArgument(which, builtin.name, message)
  }

  private func index(of name: String) -> Int {
    guard let i = builtin.parameters.firstIndex(where: { $0.name == name }) else {
      preconditionFailure("builtin '\(builtin.name)' has no parameter '\(name)'")
    }
    return i
  }

  // MARK: typed access (the types were checked by `bind`)

  public subscript(_ name: String) -> Value { values[index(of: name)] }

  /// Whether the builtin has a parameter of this name.
  public func declares(_ name: String) -> Bool { builtin.parameters.contains { $0.name == name } }

  /// Whether the argument was given (or defaulted to something other than nil).
  public func has(_ name: String) -> Bool { !self[name].isNil }

  public func number(_ name: String) throws -> Double {
    guard case .number(let x) = self[name] else {
      throw badArgument(name, "number expected, got \(self[name].typeName)")
    }
    return x
  }

  public func optionalNumber(_ name: String) throws -> Double? { self[name].isNil ? nil : try number(name) }

  public func integer(_ name: String) throws -> Int {
    guard let n = self[name].integerValue else { throw badArgument(name, "integer expected, got \(self[name].repr())") }
    return n
  }

  public func optionalInteger(_ name: String) throws -> Int? { self[name].isNil ? nil : try integer(name) }

  public func string(_ name: String) throws -> String {
    guard case .string(let s) = self[name] else {
      throw badArgument(name, "string expected, got \(self[name].typeName)")
    }
    return s
  }

  public func bool(_ name: String) throws -> Bool {
    guard case .bool(let b) = self[name] else { throw badArgument(name, "bool expected, got \(self[name].typeName)") }
    return b
  }

  public func list(_ name: String) throws -> ListObject {
    guard case .list(let l) = self[name] else { throw badArgument(name, "list expected, got \(self[name].typeName)") }
    return l
  }

  public func record(_ name: String) throws -> RecordObject {
    guard case .record(let r) = self[name] else {
      throw badArgument(name, "record expected, got \(self[name].typeName)")
    }
    return r
  }

  /// A tensor, converting numbers and nested lists of numbers.
  public func tensor(_ name: String) throws -> Tensor {
    do {
      return try TensorConversion.tensor(from: self[name])
    } catch ScriptError.failure(let message) {
      throw badArgument(name, message)
    }
  }

  /// A shape: a list of integers or a single integer.
  public func shape(_ name: String) throws -> [Int] {
    switch self[name] {
    case .number: return [try integer(name)]
    case .list(let l):
      return try l.items.map { v in
        guard let n = v.integerValue else { throw badArgument(name, "shape must hold integers, got \(v.repr())") }
        return n
      }
    default: throw badArgument(name, "shape expected, got \(self[name].typeName)")
    }
  }

  /// A host object of a given Swift class (the parameter's type names its `typeName`).
  public func host<T: HostObject>(_ name: String, as type: T.Type) throws -> T {
    guard case .host(let h) = self[name], let object = h as? T else {
      throw badArgument(name, "\(T.self) expected, got \(self[name].typeName)")
    }
    return object
  }

  // MARK: the receiver of a method

  public func receiverTensor() throws -> Tensor {
    guard case .tensor(let t)? = receiver else { throw ScriptError.failure("'\(builtin.name)' needs a tensor") }
    return t
  }

  public func receiverList() throws -> ListObject {
    guard case .list(let l)? = receiver else { throw ScriptError.failure("'\(builtin.name)' needs a list") }
    return l
  }

  public func receiverString() throws -> String {
    guard case .string(let s)? = receiver else { throw ScriptError.failure("'\(builtin.name)' needs a string") }
    return s
  }

  public func receiverRecord() throws -> RecordObject {
    guard case .record(let r)? = receiver else { throw ScriptError.failure("'\(builtin.name)' needs a record") }
    return r
  }

  public func receiverHost<T: HostObject>(as type: T.Type) throws -> T {
    guard case .host(let h)? = receiver, let object = h as? T else {
      throw ScriptError.failure("'\(builtin.name)' needs a \(builtin.receiver ?? "host object")")
    }
    return object
  }

  /// Writes to the session's output sink.
  public func write(_ text: String) { interpreter.write(text) }
}
