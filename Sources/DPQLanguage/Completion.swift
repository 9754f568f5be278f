/// Tab completion for the REPL: names, attributes after `.`, and keyword arguments inside a call.
extension ScriptSession {
  /// What to complete and the candidates that may replace it.
  public struct Completions: Equatable {
    /// The partial word before the cursor that a candidate replaces.
    public var word: String
    /// Full replacements for `word`, sorted; keyword arguments end with `: `.
    public var candidates: [String]
  }

  /// Completions for the text before the cursor:
  /// - after `expr.` (a chain of names and attributes): the value's fields, attributes and methods;
  /// - at an argument position of a call: the callee's keyword names (`epochs: `), then names;
  /// - elsewhere: variables, builtins and keywords.
  /// Completion never calls functions: only plain names and attributes are evaluated.
  public func completions(for text: String) -> Completions {
    let scalars = Array(text.unicodeScalars)
    var start = scalars.count
    while start > 0, isNamePart(scalars[start - 1]) { start -= 1 }
    let word = String(String.UnicodeScalarView(scalars[start...]))
    if start > 0, scalars[start - 1] == "." {
      guard let receiver = chainValue(ending: start - 1, in: scalars) else {
        return Completions(word: word, candidates: [])
      }
      let names = interpreter.attributeNames(of: receiver).filter { $0.hasPrefix(word) }
      return Completions(word: word, candidates: names.sorted())
    }
    var candidates: [String] = []
    if let callee = enclosingCallee(before: start, in: scalars) {
      candidates += keywordNames(of: callee).filter { $0.hasPrefix(word) }.map { $0 + ": " }
    }
    var names = Set(interpreter.globals.values.keys)
    names.formUnion(interpreter.registry.functions.keys)
    names.formUnion(TokenKind.keywords.keys)
    candidates += names.filter { $0.hasPrefix(word) }.sorted()
    return Completions(word: word, candidates: candidates)
  }

  private func isNamePart(_ c: Unicode.Scalar) -> Bool {
    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
  }

  /// The value of a `name.attr.attr` chain ending at `end` (exclusive), without calling anything.
  private func chainValue(ending end: Int, in scalars: [Unicode.Scalar]) -> Value? {
    var start = end
    while start > 0, isNamePart(scalars[start - 1]) || scalars[start - 1] == "." { start -= 1 }
    let chain = String(String.UnicodeScalarView(scalars[start..<end]))
    let parts = chain.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard let first = parts.first, !first.isEmpty, !(first.first?.isNumber ?? true) else { return nil }
    guard var value = interpreter.globals.values[first] ?? interpreter.builtinValues[first] else { return nil }
    for name in parts.dropFirst() {
      guard !name.isEmpty else { return nil }
      switch value {
      case .record(let r):
        guard let v = r[name] else { return nil }
        value = v
      case .host(let h):
        guard let v = try? h.attribute(name) else { return nil }
        value = v
      default:
        // only registered properties are evaluated: they are cheap and have no side effects
        guard let b = interpreter.registry.method(name, on: value.typeName), b.isProperty,
          let v = try? interpreter.callBuiltin(
            b, receiver: value, CallArguments(), at: SourceLocation(file: "<completion>", line: 1, column: 1))
        else { return nil }
        value = v
      }
    }
    return value
  }

  /// The callee of the innermost unclosed `(` before `position`, when the cursor is at an
  /// argument position (right after `(` or `,`, ignoring spaces).
  private func enclosingCallee(before position: Int, in scalars: [Unicode.Scalar]) -> Value? {
    var i = position - 1
    while i >= 0, scalars[i] == " " { i -= 1 }
    guard i >= 0, scalars[i] == "(" || scalars[i] == "," else { return nil }
    var depth = 0
    var inString: Unicode.Scalar? = nil
    while i >= 0 {
      let c = scalars[i]
      if let q = inString {
        if c == q { inString = nil }
      } else if c == "\"" || c == "'" {
        inString = c
      } else if c == ")" || c == "]" || c == "}" {
        depth += 1
      } else if c == "[" || c == "{" {
        if depth == 0 { return nil }
        depth -= 1
      } else if c == "(" {
        if depth == 0 { return chainValue(ending: i, in: scalars) ?? methodCallee(ending: i, in: scalars) }
        depth -= 1
      }
      i -= 1
    }
    return nil
  }

  /// `x.method(`: a bound method when `x` resolves and the method is registered.
  private func methodCallee(ending end: Int, in scalars: [Unicode.Scalar]) -> Value? {
    var start = end
    while start > 0, isNamePart(scalars[start - 1]) { start -= 1 }
    guard start > 0, scalars[start - 1] == ".", let receiver = chainValue(ending: start - 1, in: scalars) else {
      return nil
    }
    let name = String(String.UnicodeScalarView(scalars[start..<end]))
    guard interpreter.registry.method(name, on: receiver.typeName) != nil else { return nil }
    return .method(BoundMethod(receiver: receiver, name: name))
  }

  private func keywordNames(of callee: Value) -> [String] {
    switch callee {
    case .builtin(let b): return b.parameters.filter { $0.kind != .variadic }.map(\.name)
    case .method(let m):
      return interpreter.registry.method(m.name, on: m.receiver.typeName)?.parameters.filter { $0.kind != .variadic }
        .map(\.name) ?? []
    case .function(let c): return c.parameterNames
    default: return []
    }
  }
}
