import DPQTensor
import Foundation

/// The math family: functions on numbers; those that make sense elementwise also take tensors.
enum MathBuiltins {
  static func register(into r: inout BuiltinRegistry) {
    elementwise(&r, "abs", "The absolute value; elementwise on a tensor.", "abs(-3)", Swift.abs)
    elementwise(&r, "sqrt", "The square root; elementwise on a tensor.", "sqrt(16)", Foundation.sqrt)
    elementwise(&r, "exp", "e raised to the power x; elementwise on a tensor.", "exp(0)", Foundation.exp)
    elementwise(&r, "log", "The natural logarithm; elementwise on a tensor.", "log(exp(2))", Foundation.log)
    elementwise(&r, "floor", "The largest integer not above x.", "floor(2.7)", Foundation.floor, tensors: false)
    elementwise(&r, "ceil", "The smallest integer not below x.", "ceil(2.1)", Foundation.ceil, tensors: false)

    r.register(
      Builtin(
        "round", family: "math",
        parameters: [Parameter("x", .number), Parameter("digits", .integer, default: .number(0))],
        returns: "number",
        summary: "Rounds to the given number of decimal digits (halves away from zero).",
        example: "round(2.5)\nround(3.14159, 2)"
      ) { a in
        let x = try a.number("x")
        let d = try a.integer("digits")
        guard d != 0 else { return .number(x.rounded()) }
        let scale = Foundation.pow(10, Double(d))
        return .number((x * scale).rounded() / scale)
      })

    extremum(
      &r, "min", .less, "The smallest of the arguments, or of the items of one list.", "min(3, 1, 2)\nmin([4, 5])")
    extremum(
      &r, "max", .greater, "The largest of the arguments, or of the items of one list.",
      "max(3, 1, 2)\nmax([\"a\", \"b\"])")

    r.register(
      Builtin(
        "sum", family: "math",
        parameters: [Parameter("values", .oneOf([.list, .tensor])), Parameter("start", default: .number(0))],
        returns: "number",
        summary: "The sum of a list's items (added with +), or of all elements of a tensor.",
        example: "sum([1, 2, 3])\nsum(ones([2, 2]))"
      ) { a in
        if case .tensor(let t) = a["values"] {
          return .number(TensorConversion.double(t.withUnsafeBufferPointer { b in b.reduce(0, +) }))
        }
        var total = a["start"]
        for item in try a.list("values").items { total = try Operators.binary(.add, total, item) }
        return total
      })
  }

  private static func elementwise(
    _ r: inout BuiltinRegistry, _ name: String, _ summary: String, _ example: String,
    _ f: @escaping (Double) -> Double, tensors: Bool = true
  ) {
    r.register(
      Builtin(
        name, family: "math", parameters: [Parameter("x", tensors ? .oneOf([.number, .tensor]) : .number)],
        returns: tensors ? "number or tensor" : "number", summary: summary, example: example
      ) { a in
        switch a["x"] {
        case .number(let x): return .number(f(x))
        case .tensor(let t): return .tensor(try TensorBridge.unary(name, t))
        default: throw a.badArgument("x", "number expected, got \(a["x"].typeName)")
        }
      })
  }

  private static func extremum(
    _ r: inout BuiltinRegistry, _ name: String, _ better: BinaryOperator,
    _ summary: String, _ example: String
  ) {
    r.register(
      Builtin(
        name, family: "math", parameters: [.variadic("values")], returns: "value", summary: summary, example: example
      ) { a in
        var items = a.rest
        if items.count == 1, case .list(let l) = items[0] { items = l.items }
        guard var best = items.first else {
          throw ScriptError.failure("'\(name)' needs at least one value")
        }
        for v in items.dropFirst() {
          if try Operators.binary(better, v, best).isTruthy() { best = v }
        }
        return best
      })
  }
}
