import DPQLanguage
import DPQNN
import DPQTensor

/// The nn family: layers as callable modules and losses (optimizers and schedules in
/// Bindings+Optimizers.swift), so a training loop can be written in the language.
enum NNBindings {
  static let family = "nn"

  static func register(into r: inout BuiltinRegistry) {
    registerLayers(into: &r)
    registerModuleMethods(into: &r)
    registerLosses(into: &r)
    registerOptimizers(into: &r)
  }

  /// Runs `body` with the generator a layer draws its weights from: a fresh one for `seed:`,
  /// otherwise the session's (reseeded by `seed(n)`).
  static func withGenerator<T>(_ a: Arguments, _ body: (inout RandomGenerator) throws -> T) throws -> T {
    if a.has("seed") {
      var g = RandomGenerator(seed: try a.seed())
      return try body(&g)
    }
    return try body(&a.interpreter.random)
  }

  static var seedParameter: Parameter { Parameter.keyword("seed", .optional(.integer), default: .nilValue) }

  static func layer(_ m: Module) -> Value { .host(ModuleObject(m)) }

  static func registerLayers(into r: inout BuiltinRegistry) {
    r.add(
      "linear", family: family,
      [
        Parameter("inputs", .integer), Parameter("outputs", .integer), .keyword("bias", .bool, default: .bool(true)),
        seedParameter,
      ],
      returns: "module", summary: "A fully connected layer y = x @ W^T + b (PyTorch's nn.Linear).",
      doc:
        "Weights and bias start uniform in ±1/sqrt(inputs). `seed:` makes them depend only on the seed; without it they come from the session's generator (see `seed`).",
      example: "l = linear(4, 2, seed: 1)\nl(ones([3, 4])).shape\nl.weight.shape"
    ) { a in
      let (i, o, bias) = (try a.integer("inputs"), try a.integer("outputs"), try a.bool("bias"))
      return layer(try withGenerator(a) { try Linear(i, o, bias: bias, generator: &$0) })
    }
    r.add(
      "conv2d", family: family,
      [
        Parameter("inputs", .integer), Parameter("outputs", .integer), Parameter("kernel", .integer),
        .keyword("stride", .integer, default: .number(1)), .keyword("padding", .integer, default: .number(0)),
        .keyword("bias", .bool, default: .bool(true)), seedParameter,
      ],
      returns: "module",
      summary: "A 2-D convolution over [N, C, H, W] images with a square kernel (PyTorch's nn.Conv2d).",
      example: "c = conv2d(1, 4, 3, padding: 1, seed: 1)\nc(zeros([2, 1, 8, 8])).shape"
    ) { a in
      let (i, o, k) = (try a.integer("inputs"), try a.integer("outputs"), try a.integer("kernel"))
      let (s, p, bias) = (try a.integer("stride"), try a.integer("padding"), try a.bool("bias"))
      return layer(
        try withGenerator(a) { try Conv2D(i, o, kernelSize: k, stride: s, padding: p, bias: bias, generator: &$0) })
    }
    for (name, title) in [("max_pool2d", "Max"), ("avg_pool2d", "Average")] {
      r.add(
        name, family: family,
        [
          Parameter("kernel", .integer), .keyword("stride", .optional(.integer), default: .nilValue),
          .keyword("padding", .integer, default: .number(0)),
        ],
        returns: "module",
        summary: "\(title) pooling over square windows of [N, C, H, W] images; the stride defaults to the kernel.",
        example: "\(name)(2)(arange(16).reshape([1, 1, 4, 4]))"
      ) { a in
        let (k, s, p) = (try a.integer("kernel"), try a.optionalInteger("stride"), try a.integer("padding"))
        return layer(
          name == "max_pool2d"
            ? try MaxPool2D(kernelSize: k, stride: s, padding: p)
            : try AvgPool2D(kernelSize: k, stride: s, padding: p))
      }
    }
    r.add(
      "relu", family: family, returns: "module", summary: "The layer max(x, 0) (elementwise on a tensor: t.relu()).",
      example: "relu()(tensor([-1, 2]))"
    ) { _ in layer(ReLU()) }
    r.add(
      "tanh_layer", family: family, returns: "module",
      summary: "The layer tanh(x) (elementwise on a tensor: t.tanh()).",
      example: "tanh_layer()(tensor([0, 1]))"
    ) { _ in layer(Tanh()) }
    r.add(
      "sigmoid_layer", family: family, returns: "module",
      summary: "The layer 1 / (1 + exp(-x)) (on a tensor: t.sigmoid()).",
      example: "sigmoid_layer()(tensor([0]))"
    ) { _ in layer(Sigmoid()) }
    r.add(
      "dropout", family: family,
      [Parameter("p", .number, default: .number(0.5)), .keyword("seed", .integer, default: .number(0))],
      returns: "module",
      summary: "Zeroes each element with probability p in training mode and scales the rest by 1/(1-p).",
      doc: "In evaluation mode (`m.eval()`) it is the identity. The mask comes from the layer's own seeded generator.",
      example: "d = dropout(0.5, seed: 1)\nd(ones([8]))\nd.eval()\nd(ones([3]))"
    ) { a in
      layer(try Dropout(a.float("p"), seed: a.seed()))
    }
    for (name, rank) in [("batch_norm1d", "[N, C]"), ("batch_norm2d", "[N, C, H, W]")] {
      r.add(
        name, family: family,
        [
          Parameter("features", .integer), .keyword("eps", .number, default: .number(1e-5)),
          .keyword("momentum", .number, default: .number(0.1)), .keyword("affine", .bool, default: .bool(true)),
        ],
        returns: "module",
        summary: "Batch normalisation over the channels of \(rank) inputs, with running statistics for evaluation.",
        example: "bn = \(name)(3)\nbn(randn(\(name == "batch_norm1d" ? "[4, 3]" : "[4, 3, 2, 2]"), seed: 1)).shape"
      ) { a in
        let (f, e, m, aff) = (
          try a.integer("features"), try a.float("eps"), try a.float("momentum"), try a.bool("affine")
        )
        return layer(
          name == "batch_norm1d"
            ? try BatchNorm1D(f, epsilon: e, momentum: m, affine: aff)
            : try BatchNorm2D(f, epsilon: e, momentum: m, affine: aff))
      }
    }
    r.add(
      "flatten", family: family, [.keyword("start", .integer, default: .number(1))], returns: "module",
      summary: "Flattens the axes from start on into one: [N, C, H, W] -> [N, C*H*W].",
      example: "flatten()(zeros([2, 3, 4])).shape"
    ) { a in layer(Flatten(startDimension: try a.integer("start"))) }
    r.add(
      "sequential", family: family, [Parameter("layers", .list)], returns: "module",
      summary: "Layers applied in order, each to the previous one's output (PyTorch's nn.Sequential).",
      doc: "Layers are named 0, 1, ...; `m[i]` is the i-th layer and `for l in m` visits them.",
      example: "m = sequential([linear(4, 8, seed: 1), relu(), linear(8, 2, seed: 2)])\nm(ones([1, 4])).shape\nm[0]"
    ) { a in
      let modules = try a.list("layers").items.enumerated().map { i, v -> Module in
        guard case .host(let h) = v, let m = h as? ModuleObject else {
          throw a.badArgument("layers", "list of modules expected, item \(i) is \(v.typeName)")
        }
        return m.module
      }
      return layer(Sequential(modules))
    }
    r.add(
      "lenet", family: family,
      [
        .keyword("features", .integer, default: .number(300)), .keyword("classes", .integer, default: .number(10)),
        .keyword("channels", .integer, default: .number(1)), .keyword("image_size", .integer, default: .number(28)),
        .keyword("dropout", .number, default: .number(0.5)), .keyword("seed", .integer, default: .number(0)),
      ],
      returns: "module",
      summary: "The LeNet-style network of the DPQ paper: two 5x5 convolutions, two linear layers and a classifier.",
      doc: "Input [N, channels, image_size, image_size]; output class logits. The tanh feature layer is `fc2`.",
      example: "net = lenet(features: 16, seed: 1)\nnet(zeros([1, 1, 28, 28])).shape"
    ) { a in
      layer(
        try LeNet(
          inputChannels: a.integer("channels"), imageSize: a.integer("image_size"),
          featureDimension: a.integer("features"), classCount: a.integer("classes"),
          dropout: a.float("dropout"), seed: a.seed()))
    }
  }

  static func registerModuleMethods(into r: inout BuiltinRegistry) {
    r.method(
      "call", of: ModuleObject.self, family: family, [Parameter("x", .tensorLike)], returns: "tensor",
      summary: "Calling a module runs it on a batch: m(x).", example: "linear(3, 1, seed: 1)([[1, 2, 3]])"
    ) { m, a in
      .tensor(try m.module(a.tensor("x")))
    }
    r.method(
      "parameters", of: ModuleObject.self, family: family, returns: "list",
      summary: "The trainable parameters of the module and its submodules, for an optimizer.",
      example: "len(linear(4, 2).parameters())"
    ) { m, _ in
      .items(m.module.namedParameters().map { .host(ParameterObject($0.1, name: $0.0)) })
    }
    r.method(
      "state_dict", of: ModuleObject.self, family: family, returns: "record",
      summary: "Copies of every parameter and buffer by dotted name (PyTorch's state_dict).",
      example: "keys(sequential([linear(2, 2), relu()]).state_dict())"
    ) { m, _ in
      .fields(m.module.stateDict().map { ($0.0, .tensor($0.1)) })
    }
    r.method(
      "load_state_dict", of: ModuleObject.self, family: family,
      [Parameter("state", .record), .keyword("strict", .bool, default: .bool(true))], returns: "module",
      summary: "Replaces parameters and buffers by the tensors of a record as state_dict() returns it.",
      doc: "Nothing changes unless every entry fits; with `strict: true` missing or unknown names are refused.",
      example:
        "a = linear(2, 2, seed: 1)\nb = linear(2, 2, seed: 2)\nb.load_state_dict(a.state_dict())\nb.weight.value == a.weight.value"
    ) { m, a in
      let state = try a.record("state").fields.map { (k, v) -> (String, Tensor) in
        guard case .tensor(let t) = v else {
          throw a.badArgument("state", "field '\(k)' must be a tensor, got \(v.typeName)")
        }
        return (k, t)
      }
      try m.module.loadStateDict(state, strict: try a.bool("strict"))
      return a.receiver ?? .nilValue
    }
    r.method(
      "train", of: ModuleObject.self, family: family, [Parameter("mode", .bool, default: .bool(true))],
      returns: "module",
      summary: "Switches to training mode (dropout active, batch norm on batch statistics); returns the module.",
      example: "m = dropout(0.5)\nm.train().training"
    ) { m, a in
      m.module.train(try a.bool("mode"))
      return a.receiver ?? .nilValue
    }
    r.method(
      "eval", of: ModuleObject.self, family: family, returns: "module",
      summary: "Switches to evaluation mode (dropout off, batch norm on running statistics); returns the module.",
      example: "dropout(0.5).eval().training"
    ) { m, a in
      m.module.eval()
      return a.receiver ?? .nilValue
    }
    r.method(
      "zero_grad", of: ModuleObject.self, family: family, returns: "nil",
      summary: "Forgets the gradients of every parameter.", example: "linear(2, 1).zero_grad()"
    ) { m, _ in
      m.module.zeroGrad()
      return .nilValue
    }
    r.method(
      "summary", of: ModuleObject.self, family: family,
      [.keyword("input_shape", .optional(.shape), default: .nilValue)],
      returns: "text", summary: "A table of the layers: name, type, output shape and parameter count, then the total.",
      doc:
        "Output shapes are those of the last call; with `input_shape:` a zero batch of that shape is run first (in evaluation mode, without a graph).",
      example: "sequential([linear(4, 8), relu(), linear(8, 2)]).summary(input_shape: [1, 4])"
    ) { m, a in
      let shape: [Int]? = a.has("input_shape") ? try a.shape("input_shape") : nil
      return .host(TextObject(try m.module.summary(inputShape: shape)))
    }
    r.property(
      "parameter_count", of: ModuleObject.self, family: family, returns: "number",
      summary: "The number of trainable scalars.", example: "linear(4, 2).parameter_count"
    ) { m in .int(m.module.parameterCount) }
    r.property(
      "training", of: ModuleObject.self, family: family, returns: "bool",
      summary: "Whether the module is in training mode.", example: "relu().training"
    ) { m in .bool(m.module.isTraining) }
    r.property(
      "layer_type", of: ModuleObject.self, family: family, returns: "string",
      summary: "The layer's type name (Linear, Conv2D, Sequential, ...).", example: "linear(2, 2).layer_type"
    ) { m in
      .string(m.module.typeName)
    }
    r.method(
      "len", of: ModuleObject.self, family: family, returns: "number",
      summary: "The number of direct submodules (layers of a sequential), for len().",
      example: "len(sequential([relu(), relu()]))"
    ) { m, _ in .int(m.module.children().count) }
    r.method(
      "append", of: ModuleObject.self, family: family, [Parameter("layer", .host(ModuleObject.scriptType))],
      returns: "module",
      summary: "Adds a layer at the end of a sequential; returns it.",
      example: "m = sequential([linear(2, 4)])\nm.append(relu())\nlen(m)"
    ) { m, a in
      guard let s = m.module as? Sequential else {
        throw ScriptError.failure("append needs a sequential, got \(m.module.typeName)")
      }
      s.append(try a.host("layer", as: ModuleObject.self).module)
      return a.receiver ?? .nilValue
    }

    r.property(
      "value", of: ParameterObject.self, family: family, returns: "tensor",
      summary: "The parameter's current values (settable: p.value = t, same shape).",
      example: "linear(2, 1, seed: 1).weight.value"
    ) { p in .tensor(p.parameter.value) }
    r.property(
      "grad", of: ParameterObject.self, family: family, returns: "tensor or nil",
      summary: "The gradient accumulated by backward() since the last zero_grad(), or nil.",
      example: "l = linear(2, 1)\nl(ones([1, 2])).sum().backward()\nl.bias.grad"
    ) { p in .optional(p.parameter.grad) }
    r.property(
      "shape", of: ParameterObject.self, family: family, returns: "list",
      summary: "The size of each axis.", example: "linear(3, 2).weight.shape"
    ) { p in .ints(p.parameter.shape) }
    r.property(
      "name", of: ParameterObject.self, family: family, returns: "string",
      summary: "The dotted name inside its module (0.weight).",
      example: "sequential([linear(2, 2)]).parameters()[0].name"
    ) { p in .string(p.name) }
  }

  static func registerLosses(into r: inout BuiltinRegistry) {
    r.add(
      "cross_entropy", family: family, [Parameter("logits", .tensorLike), Parameter("labels")], returns: "tensor",
      summary: "Mean softmax cross-entropy of logits [N, C] against N class labels (PyTorch's F.cross_entropy).",
      doc: "Labels are a list or tensor of integers in 0..C-1. The result is a scalar tensor with a gradient.",
      example: "cross_entropy([[2, 0], [0, 2]], [0, 1])"
    ) { a in
      .tensor(try softmaxCrossEntropy(logits: a.tensor("logits"), labels: a.labels("labels")))
    }
    r.add(
      "sigmoid_cross_entropy", family: family, [Parameter("logits", .tensorLike), Parameter("targets", .tensorLike)],
      returns: "tensor",
      summary: "Mean binary cross-entropy of logits against 0/1 targets of the same shape (multi-hot labels).",
      example: "sigmoid_cross_entropy([[3, -3]], [[1, 0]])"
    ) { a in
      .tensor(try sigmoidCrossEntropy(logits: a.tensor("logits"), targets: a.tensor("targets")))
    }
    r.add(
      "mse", family: family, [Parameter("prediction", .tensorLike), Parameter("target", .tensorLike)],
      returns: "tensor",
      summary: "Mean squared error mean((prediction - target)^2).", example: "mse([1, 2], [1, 4])"
    ) { a in
      .tensor(try mseLoss(a.tensor("prediction"), a.tensor("target")))
    }
    r.add(
      "accuracy", family: family, [Parameter("logits", .tensorLike), Parameter("labels")], returns: "number",
      summary: "The fraction of rows of logits [N, C] whose largest entry is the label.",
      example: "accuracy([[2, 0], [0, 2], [1, 0]], [0, 1, 1])"
    ) { a in
      .float(try accuracy(logits: a.tensor("logits"), labels: a.labels("labels")))
    }
  }
}
