import DPQLanguage
import DPQNN
import DPQTensor

/// Optimizers and learning-rate schedules over module parameters.
extension NNBindings {
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
    r.add(
      "sgd", family: family,
      [
        Parameter("params"), .keyword("lr", .number, default: .number(0.01)),
        .keyword("momentum", .number, default: .number(0)),
        .keyword("weight_decay", .number, default: .number(0)), .keyword("nesterov", .bool, default: .bool(false)),
      ],
      returns: "optimizer",
      summary: "Stochastic gradient descent with optional momentum and weight decay (PyTorch's optim.SGD).",
      doc:
        "`params` is `m.parameters()`, a module or a model. Each `opt.step()` updates every parameter that has a gradient.",
      example:
        "m = linear(2, 1, seed: 1)\nopt = sgd(m.parameters(), lr: 0.1, momentum: 0.9)\nm(ones([4, 2])).sum().backward()\nopt.step()\nopt.zero_grad()\nopt.lr"
    ) { a in
      let group = ParameterGroup(
        parameters: try parameters(a, "params"), learningRate: try a.float("lr"),
        weightDecay: try a.float("weight_decay"))
      let o = try SGD(groups: [group], momentum: try a.float("momentum"), nesterov: try a.bool("nesterov"))
      return .host(
        OptimizerObject(
          o,
          settings:
            "sgd(momentum \(Value.format(number: try a.number("momentum"))), weight decay \(Value.format(number: try a.number("weight_decay"))))"
        ))
    }
    r.add(
      "adam", family: family,
      [
        Parameter("params"), .keyword("lr", .number, default: .number(0.001)),
        .keyword("beta1", .number, default: .number(0.9)),
        .keyword("beta2", .number, default: .number(0.999)), .keyword("eps", .number, default: .number(1e-8)),
        .keyword("weight_decay", .number, default: .number(0)),
      ],
      returns: "optimizer",
      summary: "Adam: per-parameter rates from running moments of the gradient (PyTorch's optim.Adam).",
      example: "opt = adam(linear(2, 1).parameters(), lr: 0.01)\nopt.lr = 0.005\nopt.lr"
    ) { a in
      let group = ParameterGroup(
        parameters: try parameters(a, "params"), learningRate: try a.float("lr"),
        weightDecay: try a.float("weight_decay"))
      let o = try Adam(
        groups: [group], beta1: try a.float("beta1"), beta2: try a.float("beta2"), epsilon: try a.float("eps"))
      return .host(OptimizerObject(o, settings: "adam"))
    }
    r.method(
      "step", of: OptimizerObject.self, family: family, returns: "nil",
      summary: "Updates every parameter that has a gradient, in place.",
      example: "l = linear(1, 1, seed: 1)\nopt = sgd(l, lr: 0.5)\nl(ones([1, 1])).sum().backward()\nopt.step()"
    ) { o, _ in
      try o.optimizer.step()
      return .nilValue
    }
    r.method(
      "zero_grad", of: OptimizerObject.self, family: family, returns: "nil",
      summary: "Forgets the gradients of the optimizer's parameters (call before each backward()).",
      example: "sgd(linear(2, 1)).zero_grad()"
    ) { o, _ in
      o.optimizer.zeroGrad()
      return .nilValue
    }
    r.property(
      "lr", of: OptimizerObject.self, family: family, returns: "number",
      summary: "The learning rate; `opt.lr = x` sets it (and makes it a schedule's new base).",
      example: "opt = sgd(linear(2, 1), lr: 0.1)\nopt.lr = 0.01\nopt.lr"
    ) { o in
      .float(o.optimizer.learningRate)
    }

    func schedule(
      _ name: String, _ params: [Parameter], summary: String, example: String,
      _ make: @escaping (Arguments) throws -> LearningRateSchedule
    ) {
      r.add(
        name, family: family, [Parameter("optimizer", .host(OptimizerObject.scriptType))] + params, returns: "schedule",
        summary: summary,
        doc: "Call `s.step()` once per epoch (or step); it sets the optimizer's rate from its base rate.",
        example: example
      ) { a in
        let o = try a.host("optimizer", as: OptimizerObject.self)
        return .host(ScheduleObject(try make(a), optimizer: o.optimizer, name: name))
      }
    }
    schedule(
      "step_lr",
      [.keyword("step_size", .integer, default: .number(10)), .keyword("gamma", .number, default: .number(0.1))],
      summary: "Multiplies the rate by gamma every step_size steps (PyTorch's StepLR).",
      example: "s = step_lr(sgd(linear(1, 1), lr: 1), step_size: 2, gamma: 0.5)\n[s.step(), s.step(), s.step()]"
    ) { a in
      try StepSchedule(stepSize: a.integer("step_size"), gamma: a.float("gamma"))
    }
    schedule(
      "exponential_lr", [.keyword("gamma", .number, default: .number(0.9))],
      summary: "Multiplies the rate by gamma every step (PyTorch's ExponentialLR).",
      example: "s = exponential_lr(sgd(linear(1, 1), lr: 1), gamma: 0.5)\n[s.step(), s.step()]"
    ) { a in
      try ExponentialSchedule(gamma: a.float("gamma"))
    }
    schedule(
      "cosine_lr",
      [.keyword("total_steps", .integer, default: .number(100)), .keyword("minimum", .number, default: .number(0))],
      summary: "Cosine annealing from the base rate to minimum over total_steps (PyTorch's CosineAnnealingLR).",
      example: "s = cosine_lr(sgd(linear(1, 1), lr: 1), total_steps: 4)\n[s.step(), s.step(), s.step(), s.step()]"
    ) { a in
      try CosineSchedule(totalSteps: a.integer("total_steps"), minimum: a.float("minimum"))
    }
    r.method(
      "step", of: ScheduleObject.self, family: family, returns: "number",
      summary: "Advances the schedule one step, sets the optimizer's rate and returns it.",
      example: "s = step_lr(sgd(linear(1, 1), lr: 1), step_size: 1, gamma: 0.1)\ns.step()"
    ) { s, _ in
      s.steps += 1
      s.schedule.apply(to: s.optimizer, step: s.steps)
      return .float(s.optimizer.learningRate)
    }
    r.property(
      "lr", of: ScheduleObject.self, family: family, returns: "number",
      summary: "The optimizer's current rate.", example: "cosine_lr(sgd(linear(1, 1), lr: 0.5)).lr"
    ) { s in
      .float(s.optimizer.learningRate)
    }
  }
}
