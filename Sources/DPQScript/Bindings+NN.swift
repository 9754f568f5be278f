import DPQNN
import DPQTensor

/// The nn family: layers as callable modules, losses, optimizers and schedules, so a training
/// loop can be written in the language (forward, loss, backward, step).
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

  static let seedParameter = Parameter.keyword("seed", .optional(.integer), default: .nilValue)

  static func layer(_ m: Module) -> Value { .host(ModuleObject(m)) }

  static func registerLayers(into r: inout BuiltinRegistry) {
    r.add("linear", family: family,
          [Parameter("inputs", .integer), Parameter("outputs", .integer), .keyword("bias", .bool, default: .bool(true)), seedParameter],
          returns: "module", summary: "A fully connected layer y = x @ W^T + b (PyTorch's nn.Linear).",
          doc: "Weights and bias start uniform in ±1/sqrt(inputs). `seed:` makes them depend only on the seed; without it they come from the session's generator (see `seed`).",
          example: "l = linear(4, 2, seed: 1)\nl(ones([3, 4])).shape\nl.weight.shape") { a in
      let (i, o, bias) = (try a.integer("inputs"), try a.integer("outputs"), try a.bool("bias"))
      return layer(try withGenerator(a) { try Linear(i, o, bias: bias, generator: &$0) })
    }
    r.add("conv2d", family: family,
          [Parameter("inputs", .integer), Parameter("outputs", .integer), Parameter("kernel", .integer),
           .keyword("stride", .integer, default: .number(1)), .keyword("padding", .integer, default: .number(0)),
           .keyword("bias", .bool, default: .bool(true)), seedParameter],
          returns: "module", summary: "A 2-D convolution over [N, C, H, W] images with a square kernel (PyTorch's nn.Conv2d).",
          example: "c = conv2d(1, 4, 3, padding: 1, seed: 1)\nc(zeros([2, 1, 8, 8])).shape") { a in
      let (i, o, k) = (try a.integer("inputs"), try a.integer("outputs"), try a.integer("kernel"))
      let (s, p, bias) = (try a.integer("stride"), try a.integer("padding"), try a.bool("bias"))
      return layer(try withGenerator(a) { try Conv2D(i, o, kernelSize: k, stride: s, padding: p, bias: bias, generator: &$0) })
    }
    for (name, title) in [("max_pool2d", "Max"), ("avg_pool2d", "Average")] {
      r.add(name, family: family,
            [Parameter("kernel", .integer), .keyword("stride", .optional(.integer), default: .nilValue),
             .keyword("padding", .integer, default: .number(0))],
            returns: "module", summary: "\(title) pooling over square windows of [N, C, H, W] images; the stride defaults to the kernel.",
            example: "\(name)(2)(arange(16).reshape([1, 1, 4, 4]))") { a in
        let (k, s, p) = (try a.integer("kernel"), try a.optionalInteger("stride"), try a.integer("padding"))
        return layer(name == "max_pool2d" ? try MaxPool2D(kernelSize: k, stride: s, padding: p)
                                          : try AvgPool2D(kernelSize: k, stride: s, padding: p))
      }
    }
    r.add("relu", family: family, returns: "module", summary: "The layer max(x, 0) (elementwise on a tensor: t.relu()).",
          example: "relu()(tensor([-1, 2]))") { _ in layer(ReLU()) }
    r.add("tanh_layer", family: family, returns: "module", summary: "The layer tanh(x) (elementwise on a tensor: t.tanh()).",
          example: "tanh_layer()(tensor([0, 1]))") { _ in layer(Tanh()) }
    r.add("sigmoid_layer", family: family, returns: "module", summary: "The layer 1 / (1 + exp(-x)) (on a tensor: t.sigmoid()).",
          example: "sigmoid_layer()(tensor([0]))") { _ in layer(Sigmoid()) }
    r.add("dropout", family: family,
          [Parameter("p", .number, default: .number(0.5)), .keyword("seed", .integer, default: .number(0))],
          returns: "module", summary: "Zeroes each element with probability p in training mode and scales the rest by 1/(1-p).",
          doc: "In evaluation mode (`m.eval()`) it is the identity. The mask comes from the layer's own seeded generator.",
          example: "d = dropout(0.5, seed: 1)\nd(ones([8]))\nd.eval()\nd(ones([3]))") { a in
      layer(try Dropout(a.float("p"), seed: a.seed()))
    }
    for (name, rank) in [("batch_norm1d", "[N, C]"), ("batch_norm2d", "[N, C, H, W]")] {
      r.add(name, family: family,
            [Parameter("features", .integer), .keyword("eps", .number, default: .number(1e-5)),
             .keyword("momentum", .number, default: .number(0.1)), .keyword("affine", .bool, default: .bool(true))],
            returns: "module", summary: "Batch normalisation over the channels of \(rank) inputs, with running statistics for evaluation.",
            example: "bn = \(name)(3)\nbn(randn(\(name == "batch_norm1d" ? "[4, 3]" : "[4, 3, 2, 2]"), seed: 1)).shape") { a in
        let (f, e, m, aff) = (try a.integer("features"), try a.float("eps"), try a.float("momentum"), try a.bool("affine"))
        return layer(name == "batch_norm1d" ? try BatchNorm1D(f, epsilon: e, momentum: m, affine: aff)
                                            : try BatchNorm2D(f, epsilon: e, momentum: m, affine: aff))
      }
    }
    r.add("flatten", family: family, [.keyword("start", .integer, default: .number(1))], returns: "module",
          summary: "Flattens the axes from start on into one: [N, C, H, W] -> [N, C*H*W].",
          example: "flatten()(zeros([2, 3, 4])).shape") { a in layer(Flatten(startDimension: try a.integer("start"))) }
    r.add("sequential", family: family, [Parameter("layers", .list)], returns: "module",
          summary: "Layers applied in order, each to the previous one's output (PyTorch's nn.Sequential).",
          doc: "Layers are named 0, 1, ...; `m[i]` is the i-th layer and `for l in m` visits them.",
          example: "m = sequential([linear(4, 8, seed: 1), relu(), linear(8, 2, seed: 2)])\nm(ones([1, 4])).shape\nm[0]") { a in
      let modules = try a.list("layers").items.enumerated().map { i, v -> Module in
        guard case .host(let h) = v, let m = h as? ModuleObject else {
          throw a.badArgument("layers", "list of modules expected, item \(i) is \(v.typeName)")
        }
        return m.module
      }
      return layer(Sequential(modules))
    }
    r.add("lenet", family: family,
          [.keyword("features", .integer, default: .number(300)), .keyword("classes", .integer, default: .number(10)),
           .keyword("channels", .integer, default: .number(1)), .keyword("image_size", .integer, default: .number(28)),
           .keyword("dropout", .number, default: .number(0.5)), .keyword("seed", .integer, default: .number(0))],
          returns: "module", summary: "The LeNet-style network of the DPQ paper: two 5x5 convolutions, two linear layers and a classifier.",
          doc: "Input [N, channels, image_size, image_size]; output class logits. The tanh feature layer is `fc2`.",
          example: "net = lenet(features: 16, seed: 1)\nnet(zeros([1, 1, 28, 28])).shape") { a in
      layer(try LeNet(inputChannels: a.integer("channels"), imageSize: a.integer("image_size"),
                      featureDimension: a.integer("features"), classCount: a.integer("classes"),
                      dropout: a.float("dropout"), seed: a.seed()))
    }
  }

  static func registerModuleMethods(into r: inout BuiltinRegistry) {
    r.method("call", of: ModuleObject.self, family: family, [Parameter("x", .tensorLike)], returns: "tensor",
             summary: "Calling a module runs it on a batch: m(x).", example: "linear(3, 1, seed: 1)([[1, 2, 3]])") { m, a in
      .tensor(try m.module(a.tensor("x")))
    }
    r.method("parameters", of: ModuleObject.self, family: family, returns: "list",
             summary: "The trainable parameters of the module and its submodules, for an optimizer.",
             example: "len(linear(4, 2).parameters())") { m, _ in
      .items(m.module.namedParameters().map { .host(ParameterObject($0.1, name: $0.0)) })
    }
    r.method("state_dict", of: ModuleObject.self, family: family, returns: "record",
             summary: "Copies of every parameter and buffer by dotted name (PyTorch's state_dict).",
             example: "keys(sequential([linear(2, 2), relu()]).state_dict())") { m, _ in
      .fields(m.module.stateDict().map { ($0.0, .tensor($0.1)) })
    }
    r.method("load_state_dict", of: ModuleObject.self, family: family,
             [Parameter("state", .record), .keyword("strict", .bool, default: .bool(true))], returns: "module",
             summary: "Replaces parameters and buffers by the tensors of a record as state_dict() returns it.",
             doc: "Nothing changes unless every entry fits; with `strict: true` missing or unknown names are refused.",
             example: "a = linear(2, 2, seed: 1)\nb = linear(2, 2, seed: 2)\nb.load_state_dict(a.state_dict())\nb.weight.value == a.weight.value") { m, a in
      let state = try a.record("state").fields.map { (k, v) -> (String, Tensor) in
        guard case .tensor(let t) = v else { throw a.badArgument("state", "field '\(k)' must be a tensor, got \(v.typeName)") }
        return (k, t)
      }
      try m.module.loadStateDict(state, strict: try a.bool("strict"))
      return a.receiver ?? .nilValue
    }
    r.method("train", of: ModuleObject.self, family: family, [Parameter("mode", .bool, default: .bool(true))], returns: "module",
             summary: "Switches to training mode (dropout active, batch norm on batch statistics); returns the module.",
             example: "m = dropout(0.5)\nm.train().training") { m, a in
      m.module.train(try a.bool("mode"))
      return a.receiver ?? .nilValue
    }
    r.method("eval", of: ModuleObject.self, family: family, returns: "module",
             summary: "Switches to evaluation mode (dropout off, batch norm on running statistics); returns the module.",
             example: "dropout(0.5).eval().training") { m, a in
      m.module.eval()
      return a.receiver ?? .nilValue
    }
    r.method("zero_grad", of: ModuleObject.self, family: family, returns: "nil",
             summary: "Forgets the gradients of every parameter.", example: "linear(2, 1).zero_grad()") { m, _ in
      m.module.zeroGrad()
      return .nilValue
    }
    r.method("summary", of: ModuleObject.self, family: family, [.keyword("input_shape", .optional(.shape), default: .nilValue)],
             returns: "text", summary: "A table of the layers: name, type, output shape and parameter count, then the total.",
             doc: "Output shapes are those of the last call; with `input_shape:` a zero batch of that shape is run first (in evaluation mode, without a graph).",
             example: "sequential([linear(4, 8), relu(), linear(8, 2)]).summary(input_shape: [1, 4])") { m, a in
      let shape: [Int]? = a.has("input_shape") ? try a.shape("input_shape") : nil
      return .host(TextObject(try m.module.summary(inputShape: shape)))
    }
    r.property("parameter_count", of: ModuleObject.self, family: family, returns: "number",
               summary: "The number of trainable scalars.", example: "linear(4, 2).parameter_count") { m in .int(m.module.parameterCount) }
    r.property("training", of: ModuleObject.self, family: family, returns: "bool",
               summary: "Whether the module is in training mode.", example: "relu().training") { m in .bool(m.module.isTraining) }
    r.property("layer_type", of: ModuleObject.self, family: family, returns: "string",
               summary: "The layer's type name (Linear, Conv2D, Sequential, ...).", example: "linear(2, 2).layer_type") { m in
      .string(m.module.typeName)
    }
    r.method("len", of: ModuleObject.self, family: family, returns: "number",
             summary: "The number of direct submodules (layers of a sequential), for len().",
             example: "len(sequential([relu(), relu()]))") { m, _ in .int(m.module.children().count) }
    r.method("append", of: ModuleObject.self, family: family, [Parameter("layer", .host(ModuleObject.scriptType))], returns: "module",
             summary: "Adds a layer at the end of a sequential; returns it.",
             example: "m = sequential([linear(2, 4)])\nm.append(relu())\nlen(m)") { m, a in
      guard let s = m.module as? Sequential else { throw ScriptError.failure("append needs a sequential, got \(m.module.typeName)") }
      s.append(try a.host("layer", as: ModuleObject.self).module)
      return a.receiver ?? .nilValue
    }

    r.property("value", of: ParameterObject.self, family: family, returns: "tensor",
               summary: "The parameter's current values (settable: p.value = t, same shape).",
               example: "linear(2, 1, seed: 1).weight.value") { p in .tensor(p.parameter.value) }
    r.property("grad", of: ParameterObject.self, family: family, returns: "tensor or nil",
               summary: "The gradient accumulated by backward() since the last zero_grad(), or nil.",
               example: "l = linear(2, 1)\nl(ones([1, 2])).sum().backward()\nl.bias.grad") { p in .optional(p.parameter.grad) }
    r.property("shape", of: ParameterObject.self, family: family, returns: "list",
               summary: "The size of each axis.", example: "linear(3, 2).weight.shape") { p in .ints(p.parameter.shape) }
    r.property("name", of: ParameterObject.self, family: family, returns: "string",
               summary: "The dotted name inside its module (0.weight).",
               example: "sequential([linear(2, 2)]).parameters()[0].name") { p in .string(p.name) }
  }

  static func registerLosses(into r: inout BuiltinRegistry) {
    r.add("cross_entropy", family: family, [Parameter("logits", .tensorLike), Parameter("labels")], returns: "tensor",
          summary: "Mean softmax cross-entropy of logits [N, C] against N class labels (PyTorch's F.cross_entropy).",
          doc: "Labels are a list or tensor of integers in 0..C-1. The result is a scalar tensor with a gradient.",
          example: "cross_entropy([[2, 0], [0, 2]], [0, 1])") { a in
      .tensor(try softmaxCrossEntropy(logits: a.tensor("logits"), labels: a.labels("labels")))
    }
    r.add("sigmoid_cross_entropy", family: family, [Parameter("logits", .tensorLike), Parameter("targets", .tensorLike)],
          returns: "tensor", summary: "Mean binary cross-entropy of logits against 0/1 targets of the same shape (multi-hot labels).",
          example: "sigmoid_cross_entropy([[3, -3]], [[1, 0]])") { a in
      .tensor(try sigmoidCrossEntropy(logits: a.tensor("logits"), targets: a.tensor("targets")))
    }
    r.add("mse", family: family, [Parameter("prediction", .tensorLike), Parameter("target", .tensorLike)], returns: "tensor",
          summary: "Mean squared error mean((prediction - target)^2).", example: "mse([1, 2], [1, 4])") { a in
      .tensor(try mseLoss(a.tensor("prediction"), a.tensor("target")))
    }
    r.add("accuracy", family: family, [Parameter("logits", .tensorLike), Parameter("labels")], returns: "number",
          summary: "The fraction of rows of logits [N, C] whose largest entry is the label.",
          example: "accuracy([[2, 0], [0, 2], [1, 0]], [0, 1, 1])") { a in
      .float(try accuracy(logits: a.tensor("logits"), labels: a.labels("labels")))
    }
  }

  /// The parameters an optimizer updates: from `m.parameters()`, or a module or model directly.
  static func parameters(_ a: Arguments, _ name: String) throws -> [NNParameter] {
    func collect(_ v: Value, _ index: Int?) throws -> [NNParameter] {
      switch v {
      case .host(let h as ParameterObject): return [h.parameter]
      case .host(let h as ModuleObject): return h.module.parameters()
      case .host(let h as ModelObject): return h.model.parameters()
      case .list(let l) where index == nil: return try l.items.enumerated().flatMap { try collect($1, $0) }
      default:
        let what = index.map { "item \($0) is \(v.typeName)" } ?? "got \(v.typeName)"
        let hint = v.typeName == "tensor" ? "; tensors are values: use a module's parameters()" : ""
        throw a.badArgument(name, "list of parameters, a module or a model expected, \(what)\(hint)")
      }
    }
    let ps = try collect(a[name], nil)
    guard !ps.isEmpty else { throw a.badArgument(name, "no parameters to optimize") }
    return ps
  }

  static func registerOptimizers(into r: inout BuiltinRegistry) {
    r.add("sgd", family: family,
          [Parameter("params"), .keyword("lr", .number, default: .number(0.01)), .keyword("momentum", .number, default: .number(0)),
           .keyword("weight_decay", .number, default: .number(0)), .keyword("nesterov", .bool, default: .bool(false))],
          returns: "optimizer", summary: "Stochastic gradient descent with optional momentum and weight decay (PyTorch's optim.SGD).",
          doc: "`params` is `m.parameters()`, a module or a model. Each `opt.step()` updates every parameter that has a gradient.",
          example: "m = linear(2, 1, seed: 1)\nopt = sgd(m.parameters(), lr: 0.1, momentum: 0.9)\nm(ones([4, 2])).sum().backward()\nopt.step()\nopt.zero_grad()\nopt.lr") { a in
      let group = ParameterGroup(parameters: try parameters(a, "params"), learningRate: try a.float("lr"),
                                 weightDecay: try a.float("weight_decay"))
      let o = try SGD(groups: [group], momentum: try a.float("momentum"), nesterov: try a.bool("nesterov"))
      return .host(OptimizerObject(o, settings: "sgd(momentum \(Value.format(number: try a.number("momentum"))), weight decay \(Value.format(number: try a.number("weight_decay"))))"))
    }
    r.add("adam", family: family,
          [Parameter("params"), .keyword("lr", .number, default: .number(0.001)), .keyword("beta1", .number, default: .number(0.9)),
           .keyword("beta2", .number, default: .number(0.999)), .keyword("eps", .number, default: .number(1e-8)),
           .keyword("weight_decay", .number, default: .number(0))],
          returns: "optimizer", summary: "Adam: per-parameter rates from running moments of the gradient (PyTorch's optim.Adam).",
          example: "opt = adam(linear(2, 1).parameters(), lr: 0.01)\nopt.lr = 0.005\nopt.lr") { a in
      let group = ParameterGroup(parameters: try parameters(a, "params"), learningRate: try a.float("lr"),
                                 weightDecay: try a.float("weight_decay"))
      let o = try Adam(groups: [group], beta1: try a.float("beta1"), beta2: try a.float("beta2"), epsilon: try a.float("eps"))
      return .host(OptimizerObject(o, settings: "adam"))
    }
    r.method("step", of: OptimizerObject.self, family: family, returns: "nil",
             summary: "Updates every parameter that has a gradient, in place.",
             example: "l = linear(1, 1, seed: 1)\nopt = sgd(l, lr: 0.5)\nl(ones([1, 1])).sum().backward()\nopt.step()") { o, _ in
      try o.optimizer.step()
      return .nilValue
    }
    r.method("zero_grad", of: OptimizerObject.self, family: family, returns: "nil",
             summary: "Forgets the gradients of the optimizer's parameters (call before each backward()).",
             example: "sgd(linear(2, 1)).zero_grad()") { o, _ in
      o.optimizer.zeroGrad()
      return .nilValue
    }
    r.property("lr", of: OptimizerObject.self, family: family, returns: "number",
               summary: "The learning rate; `opt.lr = x` sets it (and makes it a schedule's new base).",
               example: "opt = sgd(linear(2, 1), lr: 0.1)\nopt.lr = 0.01\nopt.lr") { o in
      .float(o.optimizer.learningRate)
    }

    func schedule(_ name: String, _ params: [Parameter], summary: String, example: String,
                  _ make: @escaping (Arguments) throws -> LearningRateSchedule) {
      r.add(name, family: family, [Parameter("optimizer", .host(OptimizerObject.scriptType))] + params, returns: "schedule",
            summary: summary, doc: "Call `s.step()` once per epoch (or step); it sets the optimizer's rate from its base rate.",
            example: example) { a in
        let o = try a.host("optimizer", as: OptimizerObject.self)
        return .host(ScheduleObject(try make(a), optimizer: o.optimizer, name: name))
      }
    }
    schedule("step_lr", [.keyword("step_size", .integer, default: .number(10)), .keyword("gamma", .number, default: .number(0.1))],
             summary: "Multiplies the rate by gamma every step_size steps (PyTorch's StepLR).",
             example: "s = step_lr(sgd(linear(1, 1), lr: 1), step_size: 2, gamma: 0.5)\n[s.step(), s.step(), s.step()]") { a in
      try StepSchedule(stepSize: a.integer("step_size"), gamma: a.float("gamma"))
    }
    schedule("exponential_lr", [.keyword("gamma", .number, default: .number(0.9))],
             summary: "Multiplies the rate by gamma every step (PyTorch's ExponentialLR).",
             example: "s = exponential_lr(sgd(linear(1, 1), lr: 1), gamma: 0.5)\n[s.step(), s.step()]") { a in
      try ExponentialSchedule(gamma: a.float("gamma"))
    }
    schedule("cosine_lr", [.keyword("total_steps", .integer, default: .number(100)), .keyword("minimum", .number, default: .number(0))],
             summary: "Cosine annealing from the base rate to minimum over total_steps (PyTorch's CosineAnnealingLR).",
             example: "s = cosine_lr(sgd(linear(1, 1), lr: 1), total_steps: 4)\n[s.step(), s.step(), s.step(), s.step()]") { a in
      try CosineSchedule(totalSteps: a.integer("total_steps"), minimum: a.float("minimum"))
    }
    r.method("step", of: ScheduleObject.self, family: family, returns: "number",
             summary: "Advances the schedule one step, sets the optimizer's rate and returns it.",
             example: "s = step_lr(sgd(linear(1, 1), lr: 1), step_size: 1, gamma: 0.1)\ns.step()") { s, _ in
      s.steps += 1
      s.schedule.apply(to: s.optimizer, step: s.steps)
      return .float(s.optimizer.learningRate)
    }
    r.property("lr", of: ScheduleObject.self, family: family, returns: "number",
               summary: "The optimizer's current rate.", example: "cosine_lr(sgd(linear(1, 1), lr: 0.5)).lr") { s in
      .float(s.optimizer.learningRate)
    }
  }
}
