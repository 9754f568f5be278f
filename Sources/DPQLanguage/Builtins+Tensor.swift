import DPQTensor

/// The tensor family: constructors and functions of several tensors.
enum TensorBuiltins {
  static func register(into r: inout BuiltinRegistry) {
    r.register(
      Builtin(
        "tensor", family: "tensor", parameters: [Parameter("values", .tensorLike)], returns: "tensor",
        summary: "A tensor from a number or nested lists of numbers (the nesting gives the shape).",
        example: "tensor([[1, 2], [3, 4]])"
      ) { a in .tensor(try a.tensor("values")) }
    )
    r.register(
      Builtin(
        "zeros", family: "tensor", parameters: [Parameter("shape", .shape)], returns: "tensor",
        summary: "A tensor of zeros.", example: "zeros([2, 3])"
      ) { a in .tensor(try Tensor.zeros(try a.shape("shape"))) }
    )
    r.register(
      Builtin(
        "ones", family: "tensor", parameters: [Parameter("shape", .shape)], returns: "tensor",
        summary: "A tensor of ones.", example: "ones(3)"
      ) { a in .tensor(try Tensor.ones(try a.shape("shape"))) }
    )
    r.register(
      Builtin(
        "full", family: "tensor", parameters: [Parameter("shape", .shape), Parameter("value", .number)],
        returns: "tensor",
        summary: "A tensor with every element equal to value.", example: "full([2, 2], 0.5)"
      ) { a in
        .tensor(try Tensor.full(try a.shape("shape"), Float(try a.number("value"))))
      })
    r.register(
      Builtin(
        "arange", family: "tensor",
        parameters: [
          Parameter("start", .number), Parameter("stop", .optional(.number), default: .nilValue),
          Parameter("step", .number, default: .number(1)),
        ],
        returns: "tensor",
        summary: "A rank-1 tensor of evenly spaced values from start (default 0) below stop.",
        doc: "`arange(5)` is 0..4; `arange(1, 2, 0.25)` is 1, 1.25, 1.5, 1.75 (NumPy's arange).",
        example: "arange(5)\narange(1, 2, 0.25)"
      ) { a in
        var start = try a.number("start")
        var stop = try a.optionalNumber("stop") ?? 0
        if !a.has("stop") { (start, stop) = (0, start) }
        return .tensor(try Tensor.arange(Float(start), Float(stop), step: Float(try a.number("step"))))
      })
    r.register(
      Builtin(
        "eye", family: "tensor", parameters: [Parameter("n", .integer)], returns: "tensor",
        summary: "The n x n identity matrix.", example: "eye(3)"
      ) { a in
        let n = try a.integer("n")
        guard n >= 0 && n <= 65_536 else { throw a.badArgument("n", "size must be between 0 and 65536, got \(n)") }
        return .tensor(
          Tensor(shape: [n, n]) { b in
            b.initialize(repeating: 0)
            for i in 0..<n { b[i * n + i] = 1 }
          })
      })
    random(&r, "randn", "Normal random values (mean 0, std 1 unless given).", "mean", 0, "std", 1) { shape, x, y, rng in
      try Tensor.randomNormal(shape, mean: x, std: y, using: &rng)
    }
    random(&r, "rand", "Uniform random values in [low, high), default [0, 1).", "low", 0, "high", 1) {
      shape, x, y, rng in
      try Tensor.randomUniform(shape, low: x, high: y, using: &rng)
    }
    r.register(
      Builtin(
        "seed", family: "tensor", parameters: [Parameter("value", .integer)],
        summary: "Reseeds the session's generator used by randn and rand without a seed:.",
        example: "seed(42)\nrandn(2)"
      ) { a in
        a.interpreter.random = RandomGenerator(seed: UInt64(bitPattern: Int64(try a.integer("value"))))
        return .nilValue
      })
    r.register(
      Builtin(
        "concat", family: "tensor",
        parameters: [Parameter("tensors", .list), .keyword("axis", .integer, default: .number(0))],
        returns: "tensor",
        summary: "Joins tensors along an existing axis; the other axes must match.",
        example: "concat([ones([1, 2]), zeros([2, 2])]).shape\nconcat([eye(2), eye(2)], axis: 1)"
      ) { a in
        .tensor(try Tensor.concat(try tensorList(a, "tensors"), axis: try a.integer("axis")))
      })
    r.register(
      Builtin(
        "stack", family: "tensor",
        parameters: [Parameter("tensors", .list), .keyword("axis", .integer, default: .number(0))],
        returns: "tensor",
        summary: "Joins tensors of one shape along a new axis.",
        example: "stack([arange(3), arange(3) * 2])"
      ) { a in
        .tensor(try Tensor.stack(try tensorList(a, "tensors"), axis: try a.integer("axis")))
      })
    r.register(
      Builtin(
        "one_hot", family: "tensor",
        parameters: [Parameter("labels", .oneOf([.list, .tensor])), Parameter("classes", .integer)],
        returns: "tensor",
        summary: "Rows of zeros with a one at each label: shape [len(labels), classes].",
        example: "one_hot([0, 2, 1], 3)"
      ) { a in
        let values: [Value]
        switch a["labels"] {
        case .tensor(let t): values = t.scalars.map { .number(Double($0)) }
        default: values = try a.list("labels").items
        }
        let labels = try values.map { v -> Int in
          guard let n = v.integerValue else {
            throw a.badArgument("labels", "labels must be integers, got \(v.repr())")
          }
          return n
        }
        return .tensor(try Tensor.oneHot(labels, classCount: try a.integer("classes")))
      })
    r.register(
      Builtin(
        "where", family: "tensor",
        parameters: [Parameter("condition", .tensorLike), Parameter("a", .tensorLike), Parameter("b", .tensorLike)],
        returns: "tensor",
        summary: "Elementwise choice: a where the condition is non-zero, else b (broadcasting).",
        example: "t = arange(-2, 3)\nwhere(t > 0, t, 0)"
      ) { a in
        .tensor(try Tensor.where(try a.tensor("condition"), try a.tensor("a"), try a.tensor("b")))
      })
    r.register(
      Builtin(
        "print_options", family: "tensor",
        parameters: [
          .keyword("precision", .optional(.integer), default: .nilValue),
          .keyword("threshold", .optional(.integer), default: .nilValue),
          .keyword("edge_items", .optional(.integer), default: .nilValue),
          .keyword("line_width", .optional(.integer), default: .nilValue),
          .keyword("scientific", .optional(.bool), default: .nilValue),
        ],
        returns: "record",
        summary:
          "Changes how this session prints tensors (like torch.set_printoptions) and returns the settings now in force.",
        doc:
          "`precision`: digits after the point; `threshold`: tensors with more elements are summarised with `...`; `edge_items`: entries kept at each end of a summarised axis; `line_width`: where rows wrap; `scientific`: force (true) or forbid (false) exponent notation. Omitted settings stay as they are.",
        example: "print_options(precision: 2)\ntensor([1 / 3])\nprint_options(precision: 4)"
      ) { a in
        var o = a.interpreter.tensorPrintOptions
        if let v = try a.optionalInteger("precision") {
          guard (0...16).contains(v) else {
            throw a.badArgument("precision", "precision must be between 0 and 16, got \(v)")
          }
          o.precision = v
        }
        if let v = try a.optionalInteger("threshold") { o.threshold = Swift.max(0, v) }
        if let v = try a.optionalInteger("edge_items") { o.edgeItems = Swift.max(1, v) }
        if let v = try a.optionalInteger("line_width") { o.lineWidth = Swift.max(20, v) }
        if a.has("scientific") { o.scientific = try a.bool("scientific") }
        a.interpreter.tensorPrintOptions = o
        return .record(
          RecordObject([
            ("precision", .number(Double(o.precision))), ("threshold", .number(Double(o.threshold))),
            ("edge_items", .number(Double(o.edgeItems))), ("line_width", .number(Double(o.lineWidth))),
            ("scientific", o.scientific.map { .bool($0) } ?? .nilValue),
          ]))
      })
    r.register(
      Builtin(
        "matmul", family: "tensor", parameters: [Parameter("a", .tensorLike), Parameter("b", .tensorLike)],
        returns: "tensor",
        summary: "The matrix product a @ b (rank 2, or batched rank 3).",
        example: "matmul(eye(2), [[1, 2], [3, 4]])"
      ) { a in
        .tensor(try Tensor.matmul(try a.tensor("a"), try a.tensor("b")))
      })
  }

  /// The tensors of a list argument (numbers and nested lists are converted).
  static func tensorList(_ a: Arguments, _ name: String) throws -> [Tensor] {
    try a.list(name).items.enumerated().map { i, v in
      do {
        return try TensorConversion.tensor(from: v)
      } catch ScriptError.failure(let message) {
        throw a.badArgument(name, "item \(i): \(message)")
      }
    }
  }

  /// `randn`/`rand`: a fresh generator when `seed:` is given, else the session's.
  private static func random(
    _ r: inout BuiltinRegistry, _ name: String, _ summary: String,
    _ p1: String, _ d1: Double, _ p2: String, _ d2: Double,
    _ make: @escaping ([Int], Float, Float, inout RandomGenerator) throws -> Tensor
  ) {
    r.register(
      Builtin(
        name, family: "tensor",
        parameters: [
          Parameter("shape", .shape), .keyword("seed", .optional(.integer), default: .nilValue),
          .keyword(p1, .number, default: .number(d1)), .keyword(p2, .number, default: .number(d2)),
        ],
        returns: "tensor",
        summary: summary,
        doc:
          "With `seed:` the values depend only on the seed; without it they come from the session's generator (see `seed`).",
        example: "\(name)([2, 3], seed: 1)"
      ) { a in
        let shape = try a.shape("shape")
        let x = Float(try a.number(p1))
        let y = Float(try a.number(p2))
        if let s = try a.optionalInteger("seed") {
          var rng = RandomGenerator(seed: UInt64(bitPattern: Int64(s)))
          return .tensor(try make(shape, x, y, &rng))
        }
        return .tensor(try make(shape, x, y, &a.interpreter.random))
      })
  }
}
