import DPQTensor
import Foundation

/// The core family: output, conversion, inspection, errors, time, help and load.
enum CoreBuiltins {
  static func register(into r: inout BuiltinRegistry) {
    r.register(
      Builtin(
        "print", family: "core",
        parameters: [
          .variadic("values"), .keyword("sep", .string, default: .string(" ")),
          .keyword("end", .string, default: .string("\n")),
        ],
        summary: "Writes values to the output, separated by spaces and followed by a newline.",
        doc:
          "Strings print without quotes; other values print as the REPL shows them. `sep:` goes between values, `end:` after the last.",
        example: "print(\"loss\", 0.25)\nprint(1, 2, 3, sep: \", \")"
      ) { a in
        a.write(
          a.rest.map { a.interpreter.text(of: $0) }.joined(separator: try a.string("sep")) + (try a.string("end")))
        return .nilValue
      })

    r.register(
      Builtin(
        "len", family: "core", parameters: [Parameter("x")], returns: "number",
        summary: "The number of items of a list, characters of a string, fields of a record, or rows of a tensor.",
        example: "len([1, 2, 3])\nlen(\"dpq\")"
      ) { a in
        switch a["x"] {
        case .list(let l): return .number(Double(l.items.count))
        case .string(let s): return .number(Double(s.count))
        case .record(let r): return .number(Double(r.keys.count))
        case .tensor(let t):
          guard let n = t.shape.first else { throw a.badArgument("x", "a rank-0 tensor has no length") }
          return .number(Double(n))
        case .host(let h):
          if let b = a.interpreter.registry.method("len", on: h.typeName) {
            return try a.interpreter.callBuiltin(b, receiver: a["x"], CallArguments(), at: a.location)
          }
          throw a.badArgument("x", "\(h.typeName) has no length")
        default:
          throw a.badArgument("x", "list, string, record or tensor expected, got \(a["x"].typeName)")
        }
      })

    r.register(
      Builtin(
        "range", family: "core",
        parameters: [
          Parameter("start", .integer), Parameter("stop", .optional(.integer), default: .nilValue),
          Parameter("step", .integer, default: .number(1)),
        ],
        returns: "list",
        summary: "The list of integers from start (default 0) up to, not including, stop.",
        doc:
          "`range(n)` is `[0, 1, ..., n-1]`; `range(a, b)` counts from a; a negative `step` counts down. Like Python's, but it returns a list.",
        example: "range(3)\nrange(2, 10, 3)\nrange(3, 0, -1)"
      ) { a in
        var start = try a.integer("start")
        var stop = try a.optionalInteger("stop") ?? 0
        if !a.has("stop") { (start, stop) = (0, start) }
        let step = try a.integer("step")
        guard step != 0 else { throw a.badArgument("step", "step cannot be zero") }
        let count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / (-step)
        guard count <= 10_000_000 else {
          throw a.badArgument(
            "stop", "a range of \(count) numbers is too long (the limit is 10,000,000; loop with while for more)")
        }
        return .list(ListObject(stride(from: start, to: stop, by: step).map { .number(Double($0)) }))
      })

    r.register(
      Builtin(
        "type", family: "core", parameters: [Parameter("x")], returns: "string",
        summary: "The type name of a value: number, string, bool, nil, list, record, function, tensor, or a host type.",
        example: "type(3)\ntype([1, 2])"
      ) { a in .string(a["x"].typeName) })

    r.register(
      Builtin(
        "str", family: "core", parameters: [Parameter("x")], returns: "string",
        summary: "A value as text, the way print shows it.",
        example: "str(42) + \"%\""
      ) { a in .string(a.interpreter.text(of: a["x"])) })

    r.register(
      Builtin(
        "num", family: "core", parameters: [Parameter("x", .oneOf([.number, .string, .bool, .tensor]))],
        returns: "number",
        summary: "Converts a string, bool or one-element tensor to a number.",
        example: "num(\"1e-3\") * 2\nnum(true)"
      ) { a in
        switch a["x"] {
        case .number(let x): return .number(x)
        case .bool(let b): return .number(b ? 1 : 0)
        case .string(let s):
          let text = s.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
          guard let x = Double(text) else { throw a.badArgument("x", "cannot convert \(Value.quote(s)) to a number") }
          return .number(x)
        case .tensor(let t):
          guard t.count == 1 else {
            throw a.badArgument("x", "tensor of shape \(t.shape) has \(t.count) elements, not 1")
          }
          return .number(TensorConversion.double(try t.item()))
        default: return .nilValue
        }
      })

    r.register(
      Builtin(
        "format", family: "core", parameters: [Parameter("value"), Parameter("spec", .string)], returns: "string",
        summary: "Formats a value with a Python-style spec, as in \"{x:.3f}\".",
        doc:
          "Spec: `[[fill]align][sign][0][width][,][.precision][type]`; align `<` `>` `^`; type `f` (fixed), `e` (exponent), `g` (general), `d` (integer), `%` (percent), `s` (string).",
        example: "format(3.14159, \".2f\")\nformat(42, \">6\")\nformat(0.25, \".1%\")"
      ) { a in
        .string(
          try StringFormatting.format(a["value"], spec: try a.string("spec"), options: a.interpreter.tensorPrintOptions)
        )
      })

    r.register(
      Builtin(
        "assert", family: "core",
        parameters: [Parameter("condition"), Parameter("message", .string, default: .string("assertion failed"))],
        summary: "Stops with an error when the condition is false.",
        example: "assert(1 + 1 == 2, \"arithmetic is broken\")"
      ) { a in
        if try !a["condition"].isTruthy() { throw ScriptError.failure(try a.string("message")) }
        return .nilValue
      })

    r.register(
      Builtin(
        "error", family: "core", parameters: [Parameter("message", .string)],
        summary: "Stops the script with an error message located at the call.",
        example: "fn check(x) { if x < 0 { error(\"negative input\") } }\ncheck(1)"
      ) { a in
        throw ScriptError.failure(try a.string("message"))
      })

    r.register(
      Builtin(
        "clock", family: "core", returns: "number",
        summary: "Seconds since the session started (monotonic), for timing code.",
        example: "t0 = clock()\nx = randn([100, 100]) @ randn([100, 100])\nprint(\"took {clock() - t0:.3f}s\")"
      ) { a in
        .number(Date().timeIntervalSince(a.interpreter.startTime))
      })

    r.register(
      Builtin(
        "time", family: "core", returns: "number",
        summary: "Seconds since 1970-01-01 UTC (wall clock).",
        example: "time() > 0"
      ) { _ in .number(Date().timeIntervalSince1970) })

    r.register(
      Builtin(
        "help", family: "core", parameters: [Parameter("topic", default: .nilValue)],
        summary: "Lists the builtins by family, or shows the signature, description and example of one.",
        doc:
          "`help()` lists everything; `help(\"zeros\")` or `help(zeros)` shows one entry; `help(\"tensor.sum\")` a method; `help(t)` the methods of a value's type.",
        example: "help(\"range\")"
      ) { a in
        a.write(HelpRenderer.help(for: a["topic"], registry: a.interpreter.registry, interpreter: a.interpreter) + "\n")
        return .nilValue
      })

    r.register(
      Builtin(
        "load", family: "core", parameters: [Parameter("path", .string)],
        summary: "Runs another script file in the global scope, relative to the calling file.",
        doc:
          "Functions and variables the file defines become globals. Loading a file that is already being loaded is an error (a cycle).",
        example: "# load(\"helpers.dpq\")"
      ) { a in
        try a.interpreter.load(try a.string("path"), from: a.location)
        return .nilValue
      })
  }
}
