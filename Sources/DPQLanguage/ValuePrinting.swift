import DPQTensor

/// How values print: `str` for `print` and interpolation (strings bare), `repr` for the REPL and
/// inside containers (strings quoted). Lists and records print like Python literals; tensors
/// NumPy-like; numbers without a trailing `.0` when integral.
/// Tensors print with the session's `TensorPrintOptions` (see `print_options`), passed in here
/// rather than read from a global, so sessions and tests do not disturb each other.
extension Value {
  public func str(_ options: TensorPrintOptions = TensorPrintOptions()) -> String {
    if case .string(let s) = self { return s }
    return repr(options)
  }

  public func repr(_ options: TensorPrintOptions = TensorPrintOptions()) -> String {
    var seen = Set<ObjectIdentifier>()
    return repr(seen: &seen, options)
  }

  /// Containers nested deeper than this print as `[...]` / `{...}` (bounds the recursion).
  static let maxPrintDepth = 500

  private func repr(seen: inout Set<ObjectIdentifier>, _ options: TensorPrintOptions) -> String {
    if seen.count >= Value.maxPrintDepth {
      if case .list = self { return "[...]" }
      if case .record = self { return "{...}" }
    }
    switch self {
    case .number(let x): return Value.format(number: x)
    case .string(let s): return Value.quote(s)
    case .bool(let b): return b ? "true" : "false"
    case .nilValue: return "nil"
    case .list(let l):
      let id = ObjectIdentifier(l)
      if seen.contains(id) { return "[...]" }
      seen.insert(id)
      defer { seen.remove(id) }
      var parts: [String] = []
      for item in l.items { parts.append(item.repr(seen: &seen, options)) }
      return "[" + parts.joined(separator: ", ") + "]"
    case .record(let r):
      let id = ObjectIdentifier(r)
      if seen.contains(id) { return "{...}" }
      seen.insert(id)
      defer { seen.remove(id) }
      var parts: [String] = []
      for (k, v) in r.fields { parts.append("\(Value.recordKey(k)): \(v.repr(seen: &seen, options))") }
      return "{" + parts.joined(separator: ", ") + "}"
    case .function(let c):
      return "<fn \(c.declaration.name ?? "")(\(c.parameterNames.joined(separator: ", ")))>"
    case .builtin(let b): return "<builtin \(b.qualifiedName)>"
    case .method(let m): return "<method \(m.receiver.typeName).\(m.name)>"
    case .tensor(let t): return t.formatted(options)
    case .host(let h): return h.description
    }
  }

  /// `3`, `0.5`, `1e-05`, `inf`, `nan`: integral values print without a fraction.
  public static func format(number x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    if x == x.rounded(), abs(x) < 1e16 { return String(Int64(x)) }
    return "\(x)"
  }

  /// A string literal that reads back as the same string.
  static func quote(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      case "{": out += "\\{"
      case "}": out += "\\}"
      default:
        if c.value < 0x20 || c.value == 0x7F {
          out += "\\u{" + String(c.value, radix: 16) + "}"
        } else {
          out.unicodeScalars.append(c)
        }
      }
    }
    return out + "\""
  }

  static func recordKey(_ k: String) -> String {
    let isName =
      !k.isEmpty
      && k.unicodeScalars.allSatisfy {
        ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_"
      }
      && !(k.unicodeScalars.first.map { $0 >= "0" && $0 <= "9" } ?? true) && TokenKind.keywords[k] == nil
    return isName ? k : quote(k)
  }
}
