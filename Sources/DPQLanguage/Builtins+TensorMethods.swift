import DPQTensor

/// Methods and properties of tensors (`t.shape`, `t.sum(axis: 0)`).
enum TensorMethods {
  static func register(into r: inout BuiltinRegistry) {
    registerProperties(&r)
    registerShapeMethods(&r)
    registerReductions(&r)
    registerElementwise(&r)
    registerAutograd(&r)
  }

  private static func registerProperties(_ r: inout BuiltinRegistry) {
    property(&r, "shape", "list", "The size of each axis.", "zeros([2, 3]).shape") { t in
      .list(ListObject(t.shape.map { .number(Double($0)) }))
    }
    property(&r, "rank", "number", "The number of axes.", "zeros([2, 3]).rank") { t in .number(Double(t.rank)) }
    property(&r, "size", "number", "The number of elements.", "zeros([2, 3]).size") { t in .number(Double(t.count)) }
    property(
      &r, "T", "tensor", "The transpose of a matrix (rank 0 and 1 are returned unchanged).",
      "arange(6).reshape([2, 3]).T.shape"
    ) { t in .tensor(try t.transposed()) }
    method(&r, "item", [], "number", "The value of a one-element tensor.", "tensor([[7]]).item()") { t, _ in
      .number(TensorConversion.double(try t.item()))
    }
    method(&r, "tolist", [], "list", "The values as nested lists (a number for rank 0).", "eye(2).tolist()") { t, _ in
      TensorConversion.list(from: t)
    }
  }

  private static func registerShapeMethods(_ r: inout BuiltinRegistry) {
    method(
      &r, "reshape", [Parameter("shape", .shape)], "tensor",
      "The same values under a new shape; one dimension may be -1 (inferred).", "arange(6).reshape([2, -1])"
    ) { t, a in
      .tensor(try t.reshaped(try a.shape("shape")))
    }
    method(&r, "flatten", [], "tensor", "The values as a rank-1 tensor.", "eye(2).flatten()") { t, _ in
      .tensor(try t.reshaped([t.count]))
    }
    method(
      &r, "transpose",
      [Parameter("axis0", .integer, default: .number(0)), Parameter("axis1", .integer, default: .number(1))],
      "tensor", "Swaps two axes (negative axes count from the end).", "zeros([2, 3, 4]).transpose(0, 2).shape"
    ) { t, a in
      .tensor(try t.transposed(try a.integer("axis0"), try a.integer("axis1")))
    }
    method(
      &r, "permute", [Parameter("axes", .list)], "tensor",
      "Reorders the axes: axis i of the result is axes[i] of this tensor.",
      "zeros([2, 3, 4]).permute([2, 0, 1]).shape"
    ) { t, a in
      .tensor(try t.permuted(try a.shape("axes")))
    }
    method(
      &r, "squeeze", [Parameter("axis", .optional(.integer), default: .nilValue)], "tensor",
      "Removes an axis of size 1 (all of them when no axis is given).", "zeros([1, 3, 1]).squeeze().shape"
    ) { t, a in
      if let axis = try a.optionalInteger("axis") { return .tensor(try t.squeezed(axis: axis)) }
      return .tensor(t.squeezed())
    }
    method(
      &r, "unsqueeze", [Parameter("axis", .integer)], "tensor", "Inserts an axis of size 1.",
      "zeros([3]).unsqueeze(0).shape"
    ) { t, a in
      .tensor(try t.unsqueezed(axis: try a.integer("axis")))
    }
    method(
      &r, "matmul", [Parameter("other", .tensorLike)], "tensor", "The matrix product self @ other.",
      "eye(2).matmul([[1], [2]])"
    ) { t, a in
      .tensor(try Tensor.matmul(t, try a.tensor("other")))
    }
  }

  private static func registerReductions(_ r: inout BuiltinRegistry) {
    let axisParameters = [
      Parameter("axis", .optional(.oneOf([.integer, .list])), default: .nilValue),
      .keyword("keepdims", .bool, default: .bool(false)),
    ]
    let reductions: [(String, String, (Tensor, [Int]?, Bool) throws -> Tensor)] = [
      (
        "sum", "The sum over an axis or a list of axes (all elements when no axis is given).",
        { try $0.sum(axes: $1, keepDims: $2) }
      ),
      (
        "mean", "The mean over an axis or a list of axes (all elements when no axis is given).",
        { try $0.mean(axes: $1, keepDims: $2) }
      ),
      (
        "max", "The largest value over an axis or a list of axes (all elements when no axis is given).",
        { try $0.max(axes: $1, keepDims: $2) }
      ),
      (
        "min", "The smallest value over an axis or a list of axes (all elements when no axis is given).",
        { try $0.min(axes: $1, keepDims: $2) }
      ),
    ]
    for (name, summary, reduce) in reductions {
      method(
        &r, name, axisParameters, "tensor", summary,
        "t = arange(6).reshape([2, 3])\nt.\(name)()\nt.\(name)(axis: 0)\nt.\(name)(axis: 1, keepdims: true).shape",
        doc: "The result is a tensor (rank 0 for a full reduction); `.item()` gives the number."
      ) { t, a in
        .tensor(try reduce(t, try axes(a), try a.bool("keepdims")))
      }
    }
    for (name, larger) in [("argmax", true), ("argmin", false)] {
      method(
        &r, name,
        [
          Parameter("axis", .optional(.integer), default: .nilValue),
          .keyword("keepdims", .bool, default: .bool(false)),
        ],
        "number or tensor",
        "The position of the \(larger ? "largest" : "smallest") value: over all elements (a number), or along an axis (a tensor of positions).",
        "t = tensor([[1, 5, 2], [7, 0, 3]])\nt.\(name)()\nt.\(name)(axis: 1)"
      ) { t, a in
        guard let axis = try a.optionalInteger("axis") else {
          let flat = try t.reshaped([t.count])
          let positions = larger ? try flat.argmax(axis: 0) : try flat.argmin(axis: 0)
          return .number(Double(positions.first ?? 0))
        }
        if larger { return .tensor(try t.argmaxTensor(axis: axis, keepDims: try a.bool("keepdims"))) }
        let positions = try t.argmin(axis: axis)
        var shape = t.shape
        let normalized = axis < 0 ? axis + t.rank : axis
        if try a.bool("keepdims") { shape[normalized] = 1 } else { shape.remove(at: normalized) }
        return .tensor(try Tensor(shape: shape, scalars: positions.map(Float.init)))
      }
    }
    method(
      &r, "softmax", [Parameter("axis", .integer, default: .number(-1))], "tensor",
      "exp(x) / sum(exp(x)) along an axis (the last by default), computed stably.", "tensor([1, 2, 3]).softmax()"
    ) { t, a in
      .tensor(try t.softmax(axis: try a.integer("axis")))
    }
    method(
      &r, "log_softmax", [Parameter("axis", .integer, default: .number(-1))], "tensor",
      "log(softmax(x)) along an axis, computed stably.", "tensor([1, 2, 3]).log_softmax()"
    ) { t, a in
      .tensor(try t.logSoftmax(axis: try a.integer("axis")))
    }
  }

  private static func registerElementwise(_ r: inout BuiltinRegistry) {
    let functions: [(String, String)] = [
      ("exp", "e raised to each element."), ("log", "The natural logarithm of each element."),
      ("sqrt", "The square root of each element."), ("abs", "The absolute value of each element."),
      ("square", "Each element squared."), ("tanh", "The hyperbolic tangent of each element."),
      ("relu", "max(x, 0) for each element."), ("sigmoid", "1 / (1 + exp(-x)) for each element."),
    ]
    for (name, summary) in functions {
      method(&r, name, [], "tensor", summary, "tensor([-1, 0, 4]).\(name)()") { t, _ in
        .tensor(try TensorBridge.unary(name, t))
      }
    }
    method(
      &r, "clamp",
      [
        .keyword("min", .optional(.number), default: .nilValue),
        .keyword("max", .optional(.number), default: .nilValue),
      ],
      "tensor", "Each element limited to [min, max] (either bound may be omitted).",
      "tensor([-2, 0.5, 3]).clamp(min: 0, max: 1)"
    ) { t, a in
      try Tensor.checkShape(t.shape, op: "clamp")
      return .tensor(
        t.clamped(min: try a.optionalNumber("min").map(Float.init), max: try a.optionalNumber("max").map(Float.init)))
    }
  }

  private static func registerAutograd(_ r: inout BuiltinRegistry) {
    method(
      &r, "requires_grad", [], "tensor", "The same values as a leaf that accumulates a gradient on backward().",
      "w = ones([2]).requires_grad()\n(w * w).sum().backward()\nw.grad"
    ) { t, _ in .tensor(t.requiringGrad()) }
    method(
      &r, "backward", [], "nil", "Back-propagates from this (usually scalar) tensor into the leaves that require grad.",
      "w = tensor([1, 2]).requires_grad()\n(w * 3).sum().backward()\nw.grad"
    ) { t, _ in
      try t.backward()
      return .nilValue
    }
    property(
      &r, "grad", "tensor or nil", "The gradient accumulated in a leaf by backward(), or nil.",
      "w = tensor([3]).requires_grad()\n(w * w).sum().backward()\nw.grad"
    ) { t in t.grad.map { .tensor($0) } ?? .nilValue }
    method(
      &r, "detach", [], "tensor", "The same values without a graph: gradients stop here.",
      "ones([2]).requires_grad().detach()"
    ) { t, _ in .tensor(t.detached()) }
  }

  /// The `axis:` argument as a list of axes (nil: all).
  private static func axes(_ a: Arguments) throws -> [Int]? {
    switch a["axis"] {
    case .nilValue: return nil
    case .number: return [try a.integer("axis")]
    default: return try a.shape("axis")
    }
  }

  static func property(
    _ r: inout BuiltinRegistry, _ name: String, _ returns: String, _ summary: String,
    _ example: String, _ body: @escaping (Tensor) throws -> Value
  ) {
    r.register(
      Builtin(
        name, on: "tensor", property: true, family: "tensor", returns: returns, summary: summary,
        example: example
      ) { a in try body(try a.receiverTensor()) })
  }

  static func method(
    _ r: inout BuiltinRegistry, _ name: String, _ parameters: [Parameter], _ returns: String,
    _ summary: String, _ example: String, doc: String = "",
    _ body: @escaping (Tensor, Arguments) throws -> Value
  ) {
    r.register(
      Builtin(
        name, on: "tensor", family: "tensor", parameters: parameters, returns: returns,
        summary: summary, doc: doc, example: example
      ) { a in try body(try a.receiverTensor(), a) })
  }
}
