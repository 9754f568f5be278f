/// Renders the registry for `help()`, the REPL's `?name`, and the language reference. All three
/// read the same entries, so they cannot disagree.
public enum HelpRenderer {
  /// `help(topic)`: nil lists everything; a string or builtin shows entries; a value shows its
  /// type's methods.
  static func help(for topic: Value, registry: BuiltinRegistry, interpreter: Interpreter) -> String {
    switch topic {
    case .nilValue: return overview(registry)
    case .string(let name): return help(name, registry: registry)
    case .builtin(let b): return entry(b)
    case .method(let m):
      if let b = registry.method(m.name, on: m.receiver.typeName) { return entry(b) }
      return "\(m.receiver.typeName).\(m.name): a method of a host object (no registered help)"
    case .function(let c):
      let d = c.declaration
      return "fn \(d.signature)\n  A script function defined at \(d.location)."
    default:
      return typeHelp(topic.typeName, registry: registry, extra: interpreter.attributeNames(of: topic))
    }
  }

  /// The entries named `name` (`zeros`, `sum`, `tensor.sum`), or a suggestion.
  public static func help(_ name: String, registry: BuiltinRegistry) -> String {
    // Functions before methods of the same name: help("train") starts with train(model, data, ...).
    let found =
      registry.lookup(name).filter { $0.receiver == nil } + registry.lookup(name).filter { $0.receiver != nil }
    if !found.isEmpty { return found.map(entry).joined(separator: "\n\n") }
    if registry.methods[name] != nil { return typeHelp(name, registry: registry, extra: []) }
    let all = registry.entries.map(\.qualifiedName) + registry.entries.map(\.name)
    return "no help for '\(name)'" + Suggestions.hint(for: name, among: all) + "; help() lists everything"
  }

  /// Signature, summary, description and example of one builtin.
  public static func entry(_ b: Builtin) -> String {
    var out = b.signature + "\n  " + b.summary
    if !b.doc.isEmpty { out += "\n  " + b.doc }
    out +=
      "\n  Example:\n"
      + b.example.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    return out
  }

  /// Every family with its function names, then each type's methods.
  public static func overview(_ registry: BuiltinRegistry) -> String {
    var lines = ["Builtins by family (help(\"name\") for one, e.g. help(\"zeros\") or help(\"tensor.sum\")):"]
    let width = registry.families.map(\.count).max() ?? 0
    for family in registry.families {
      let names = registry.entries.filter { $0.family == family && $0.receiver == nil }.map(\.name)
      if !names.isEmpty { lines += wrap(names, label: family.padding(to: width)) }
    }
    lines.append("Methods and attributes by type:")
    let types = registry.entries.compactMap(\.receiver).reduce(into: [String]()) {
      if !$0.contains($1) { $0.append($1) }
    }
    let typeWidth = types.map(\.count).max() ?? 0
    for type in types {
      let names = registry.entries.filter { $0.receiver == type }.map { $0.isProperty ? $0.name : "\($0.name)()" }
      lines += wrap(names, label: type.padding(to: typeWidth))
    }
    return lines.joined(separator: "\n")
  }

  /// `  label  a b c`, continued on indented lines to stay within 90 columns.
  static func wrap(_ words: [String], label: String) -> [String] {
    let indent = String(repeating: " ", count: label.count + 4)
    var lines = ["  " + label + "  "]
    var fresh = true
    for w in words {
      if !fresh && lines[lines.count - 1].count + 1 + w.count > 90 {
        lines.append(indent)
        fresh = true
      }
      lines[lines.count - 1] += (fresh ? "" : " ") + w
      fresh = false
    }
    return lines
  }

  static func typeHelp(_ type: String, registry: BuiltinRegistry, extra: [String]) -> String {
    let entries = registry.entries.filter { $0.receiver == type }
    var lines = ["\(type): \(entries.isEmpty && extra.isEmpty ? "no methods or attributes" : "methods and attributes")"]
    for e in entries { lines.append("  ." + (e.isProperty ? e.name : "\(e.name)()") + "  " + e.summary) }
    let others = extra.filter { name in !entries.contains { $0.name == name } }
    if !others.isEmpty { lines.append("  also: " + others.joined(separator: " ")) }
    return lines.joined(separator: "\n")
  }

  /// The markers around the generated builtin section of docs/language.md.
  public static let referenceBegin =
    "<!-- builtins:begin (generated from the registry by scripts/docs; do not edit) -->\n"
  public static let referenceEnd = "<!-- builtins:end -->"

  /// A language reference document with its builtin section replaced by `markdown(registry)`, or
  /// an error naming the missing marker.
  public static func splicingReference(_ registry: BuiltinRegistry, into doc: String) throws -> String {
    guard let start = doc.range(of: referenceBegin) else {
      throw HelpDocumentError(message: "no line '\(referenceBegin.dropLast())' to start the builtin section")
    }
    guard let stop = doc.range(of: referenceEnd, range: start.upperBound..<doc.endIndex) else {
      throw HelpDocumentError(message: "no line '\(referenceEnd)' after the start of the builtin section")
    }
    return String(doc[..<start.upperBound]) + markdown(registry) + String(doc[stop.lowerBound...])
  }

  /// The builtin section of docs/language.md: every family, every entry, in registration order.
  public static func markdown(_ registry: BuiltinRegistry) -> String {
    var out = ""
    for family in registry.families {
      out += "### \(family)\n\n"
      for b in registry.entries where b.family == family {
        out += "#### `\(b.signature)`\n\n\(b.summary)"
        if !b.doc.isEmpty { out += " \(b.doc)" }
        out += "\n\n```\n\(b.example)\n```\n\n"
      }
    }
    return out
  }
}

extension String {
  func padding(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

/// A language reference document that lacks the markers of its generated section.
public struct HelpDocumentError: Error, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}
