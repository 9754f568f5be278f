import Foundation

/// Lists, records and strings: the functions on them and their methods.
enum CollectionBuiltins {
  static func register(into r: inout BuiltinRegistry) {
    registerFunctions(&r)
    registerListMethods(&r)
    registerRecordMethods(&r)
    registerStringMethods(&r)
  }

  private static func registerFunctions(_ r: inout BuiltinRegistry) {
    r.register(
      Builtin(
        "keys", family: "collections", parameters: [Parameter("record", .record)], returns: "list",
        summary: "The field names of a record, in the order they were added.",
        example: "keys({name: \"dpq\", bits: 8})"
      ) { a in
        .list(ListObject(try a.record("record").keys.map { .string($0) }))
      })

    r.register(
      Builtin(
        "sorted", family: "collections",
        parameters: [
          Parameter("list", .list), .keyword("key", .optional(.function), default: .nilValue),
          .keyword("reverse", .bool, default: .bool(false)),
        ],
        returns: "list",
        summary: "A sorted copy of a list; `key:` maps each item to what is compared.",
        doc: "Items (or keys) must be all numbers or all strings. The sort is stable.",
        example: "sorted([3, 1, 2])\nsorted([\"bb\", \"a\"], key: len, reverse: true)"
      ) { a in
        let items = try a.list("list").items
        let key = a["key"]
        let keys = try items.map { key.isNil ? $0 : try a.interpreter.call(key, [$0], at: a.location) }
        var failure: Error? = nil
        let order = Array(items.indices).sorted { i, j in
          guard failure == nil else { return false }
          do {
            if try Operators.binary(.less, keys[i], keys[j]).isTruthy() { return true }
            if try Operators.binary(.less, keys[j], keys[i]).isTruthy() { return false }
            return i < j
          } catch {
            failure = error
            return false
          }
        }
        if let failure { throw failure }
        let result = order.map { items[$0] }
        return .list(ListObject(try a.bool("reverse") ? stableReversed(result, keys: order.map { keys[$0] }) : result))
      })

    r.register(
      Builtin(
        "map", family: "collections", parameters: [Parameter("list", .list), Parameter("function", .function)],
        returns: "list",
        summary: "A new list with the function applied to each item.",
        example: "map([1, 2, 3], fn(x) => x * x)"
      ) { a in
        let f = a["function"]
        return .list(ListObject(try a.list("list").items.map { try a.interpreter.call(f, [$0], at: a.location) }))
      })

    r.register(
      Builtin(
        "filter", family: "collections", parameters: [Parameter("list", .list), Parameter("function", .function)],
        returns: "list",
        summary: "A new list of the items for which the function returns a true value.",
        example: "filter(range(10), fn(x) => x % 3 == 0)"
      ) { a in
        let f = a["function"]
        return .list(
          ListObject(try a.list("list").items.filter { try a.interpreter.call(f, [$0], at: a.location).isTruthy() }))
      })

    r.register(
      Builtin(
        "copy", family: "collections", parameters: [Parameter("x")], returns: "value",
        summary: "A shallow copy of a list or record (other values are returned as they are).",
        doc:
          "Lists and records are shared by reference; copy one before changing it if other names must not see the change.",
        example: "a = [1, 2]\nb = copy(a)\nb.append(3)\nlen(a)"
      ) { a in
        switch a["x"] {
        case .list(let l): return .list(ListObject(l.items))
        case .record(let r): return .record(RecordObject(r.fields.map { ($0.key, $0.value) }))
        default: return a["x"]
        }
      })
  }

  /// Reverses a stably sorted list while keeping equal keys in their original order.
  private static func stableReversed(_ sorted: [Value], keys: [Value]) -> [Value] {
    var groups: [[Value]] = []
    for (i, v) in sorted.enumerated() {
      if i > 0, Operators.equal(keys[i], keys[i - 1]) { groups[groups.count - 1].append(v) } else { groups.append([v]) }
    }
    return groups.reversed().flatMap { $0 }
  }

  private static func registerListMethods(_ r: inout BuiltinRegistry) {
    r.register(
      Builtin(
        "append", on: "list", family: "collections", parameters: [Parameter("value")], returns: "nil",
        summary: "Adds a value at the end of the list (in place).",
        example: "xs = [1]\nxs.append(2)\nxs"
      ) { a in
        let l = try a.receiverList()
        l.items.append(a["value"])
        a.interpreter.cycles.stored(a["value"], into: .list(l))
        return .nilValue
      })
    r.register(
      Builtin(
        "pop", on: "list", family: "collections", parameters: [Parameter("index", .integer, default: .number(-1))],
        returns: "value",
        summary: "Removes and returns the item at index (default: the last).",
        example: "xs = [1, 2, 3]\nxs.pop()\nxs.pop(0)"
      ) { a in
        let l = try a.receiverList()
        let i = try a.integer("index")
        let p = i < 0 ? i + l.items.count : i
        guard p >= 0 && p < l.items.count else {
          throw a.badArgument("index", "index \(i) out of range for a list of length \(l.items.count)")
        }
        return l.items.remove(at: p)
      })
    r.register(
      Builtin(
        "insert", on: "list", family: "collections", parameters: [Parameter("index", .integer), Parameter("value")],
        returns: "nil",
        summary: "Inserts a value before the given index (in place).",
        example: "xs = [1, 3]\nxs.insert(1, 2)\nxs"
      ) { a in
        let l = try a.receiverList()
        let i = try a.integer("index")
        let p = Swift.min(Swift.max(i < 0 ? i + l.items.count : i, 0), l.items.count)
        l.items.insert(a["value"], at: p)
        a.interpreter.cycles.stored(a["value"], into: .list(l))
        return .nilValue
      })
    r.register(
      Builtin(
        "extend", on: "list", family: "collections", parameters: [Parameter("values", .list)], returns: "nil",
        summary: "Appends every item of another list (in place).",
        example: "xs = [1]\nxs.extend([2, 3])\nxs"
      ) { a in
        let l = try a.receiverList()
        let values = try a.list("values").items
        l.items += values
        if let v = values.first(where: \.canReferenceOthers) { a.interpreter.cycles.stored(v, into: .list(l)) }
        return .nilValue
      })
    r.register(
      Builtin(
        "index", on: "list", family: "collections", parameters: [Parameter("value")], returns: "number",
        summary: "The position of the first item equal to value, or -1.",
        example: "[\"a\", \"b\"].index(\"b\")"
      ) { a in
        let l = try a.receiverList()
        return .number(Double(l.items.firstIndex { Operators.equal($0, a["value"]) } ?? -1))
      })
    r.register(
      Builtin(
        "reverse", on: "list", family: "collections", returns: "list",
        summary: "A new list with the items in reverse order.",
        example: "[1, 2, 3].reverse()"
      ) { a in
        .list(ListObject(try a.receiverList().items.reversed()))
      })
  }

  private static func registerRecordMethods(_ r: inout BuiltinRegistry) {
    r.register(
      Builtin(
        "get", on: "record", family: "collections",
        parameters: [Parameter("key", .string), Parameter("default", default: .nilValue)],
        returns: "value",
        summary: "The field's value, or the default when the record has no such field.",
        example: "{a: 1}.get(\"b\", 0)"
      ) { a in
        try a.receiverRecord()[try a.string("key")] ?? a["default"]
      })
    r.register(
      Builtin(
        "remove", on: "record", family: "collections", parameters: [Parameter("key", .string)], returns: "value",
        summary: "Deletes a field and returns its value (nil if it was absent).",
        example: "r = {a: 1, b: 2}\nr.remove(\"a\")\nr"
      ) { a in
        let rec = try a.receiverRecord()
        let key = try a.string("key")
        let old = rec[key] ?? .nilValue
        rec[key] = nil
        return old
      })
    r.register(
      Builtin(
        "values", on: "record", family: "collections", returns: "list",
        summary: "The field values of a record, in field order.",
        example: "{a: 1, b: 2}.values()"
      ) { a in
        .list(ListObject(try a.receiverRecord().fields.map(\.value)))
      })
  }

  private static func registerStringMethods(_ r: inout BuiltinRegistry) {
    func stringMethod(
      _ r: inout BuiltinRegistry, _ name: String, _ params: [Parameter], _ returns: String,
      _ summary: String, _ example: String, _ body: @escaping (String, Arguments) throws -> Value
    ) {
      r.register(
        Builtin(
          name, on: "string", family: "collections", parameters: params, returns: returns,
          summary: summary, example: example
        ) { a in try body(try a.receiverString(), a) })
    }
    stringMethod(&r, "upper", [], "string", "The string in upper case.", "\"dpq\".upper()") { s, _ in
      .string(s.uppercased())
    }
    stringMethod(&r, "lower", [], "string", "The string in lower case.", "\"DPQ\".lower()") { s, _ in
      .string(s.lowercased())
    }
    stringMethod(&r, "strip", [], "string", "The string without leading and trailing whitespace.", "\"  a b \".strip()")
    { s, _ in
      .string(s.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    stringMethod(
      &r, "split", [Parameter("separator", .optional(.string), default: .nilValue)], "list",
      "The parts between separators (default: runs of whitespace).", "\"a,b,c\".split(\",\")\n\"x  y\".split()"
    ) { s, a in
      let parts: [String]
      if let sep = try a.has("separator") ? a.string("separator") : nil {
        guard !sep.isEmpty else { throw a.badArgument("separator", "separator cannot be empty") }
        parts = s.components(separatedBy: sep)
      } else {
        parts = s.split(whereSeparator: { $0.isWhitespace }).map(String.init)
      }
      return .list(ListObject(parts.map { .string($0) }))
    }
    stringMethod(
      &r, "join", [Parameter("items", .list)], "string",
      "The items (as text) joined with this string between them.", "\", \".join([\"a\", \"b\", 3])"
    ) { s, a in
      .string(try a.list("items").items.map { a.interpreter.text(of: $0) }.joined(separator: s))
    }
    stringMethod(
      &r, "replace", [Parameter("old", .string), Parameter("new", .string)], "string",
      "The string with every occurrence of old replaced by new.", "\"a-b-c\".replace(\"-\", \"+\")"
    ) { s, a in
      let old = try a.string("old")
      guard !old.isEmpty else { throw a.badArgument("old", "cannot replace an empty string") }
      return .string(s.replacingOccurrences(of: old, with: try a.string("new")))
    }
    stringMethod(
      &r, "starts_with", [Parameter("prefix", .string)], "bool",
      "Whether the string begins with prefix.", "\"model.dpq\".starts_with(\"model\")"
    ) { s, a in
      .bool(s.hasPrefix(try a.string("prefix")))
    }
    stringMethod(
      &r, "ends_with", [Parameter("suffix", .string)], "bool",
      "Whether the string ends with suffix.", "\"model.dpq\".ends_with(\".dpq\")"
    ) { s, a in
      .bool(s.hasSuffix(try a.string("suffix")))
    }
  }
}
