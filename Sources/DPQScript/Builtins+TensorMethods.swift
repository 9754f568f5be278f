import DPQTensor

/// Methods and properties of tensors (`t.shape`, `t.sum(axis: 0)`).
enum TensorMethods {
  static func register(into r: inout BuiltinRegistry) {
    property(&r, "shape", "list", "The size of each axis.", "zeros([2, 3]).shape") { t in
      .list(ListObject(t.shape.map { .number(Double($0)) }))
    }
    property(&r, "rank", "number", "The number of axes.", "zeros([2, 3]).rank") { t in .number(Double(t.rank)) }
    property(&r, "size", "number", "The number of elements.", "zeros([2, 3]).size") { t in .number(Double(t.count)) }

    method(&r, "reshape", [Parameter("shape", .shape)], "tensor",
           "The same values under a new shape; one dimension may be -1 (inferred).", "arange(6).reshape([2, -1])") { t, a in
      .tensor(try t.reshaped(try a.shape("shape")))
    }
    method(&r, "item", [], "number", "The value of a one-element tensor.", "tensor([[7]]).item()") { t, _ in
      .number(TensorConversion.double(try t.item()))
    }
    method(&r, "tolist", [], "list", "The values as nested lists (a number for rank 0).", "eye(2).tolist()") { t, _ in
      TensorConversion.list(from: t)
    }
    method(&r, "matmul", [Parameter("other", .tensorLike)], "tensor", "The matrix product self @ other.",
           "eye(2).matmul([[1], [2]])") { t, a in
      .tensor(try Tensor.matmul(t, try a.tensor("other")))
    }
  }

  static func property(_ r: inout BuiltinRegistry, _ name: String, _ returns: String, _ summary: String,
                       _ example: String, _ body: @escaping (Tensor) throws -> Value) {
    r.register(Builtin(name, on: "tensor", property: true, family: "tensor", returns: returns, summary: summary,
                       example: example) { a in try body(try a.receiverTensor()) })
  }

  static func method(_ r: inout BuiltinRegistry, _ name: String, _ parameters: [Parameter], _ returns: String,
                     _ summary: String, _ example: String, doc: String = "",
                     _ body: @escaping (Tensor, Arguments) throws -> Value) {
    r.register(Builtin(name, on: "tensor", family: "tensor", parameters: parameters, returns: returns,
                       summary: summary, doc: doc, example: example) { a in try body(try a.receiverTensor(), a) })
  }
}
