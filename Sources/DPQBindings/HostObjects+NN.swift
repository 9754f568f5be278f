import DPQLanguage
import DPQNN
import DPQTensor

/// A module parameter (DPQLanguage has its own `Parameter`: a builtin's signature entry).
typealias NNParameter = DPQNN.Parameter

/// A layer or network (`linear(4, 2)`, `sequential([...])`), callable like a function.
/// Submodules and own parameters are attributes by name (`net.fc1`, `l.weight`); a sequential
/// is indexable and iterable over its layers.
final class ModuleObject: ScriptHost {
  package static let scriptType = "module"
  let module: Module

  init(_ module: Module) { self.module = module }

  var description: String {
    let header = "\(ModuleObject.layerText(module)): \(Format.grouped(module.parameterCount)) parameters"
    guard !module.children().isEmpty, let table = try? module.summary() else { return header }
    return header + "\n" + table
  }

  /// A one-line description of a layer as the call that builds it.
  static func layerText(_ m: Module) -> String {
    switch m {
    case let l as Linear:
      return "linear(\(l.inputFeatures), \(l.outputFeatures)\(l.bias == nil ? ", bias: false" : ""))"
    case let c as Conv2D:
      var s = "conv2d(\(c.inputChannels), \(c.outputChannels), \(c.kernelSize)"
      if c.stride != 1 { s += ", stride: \(c.stride)" }
      if c.padding != 0 { s += ", padding: \(c.padding)" }
      return s + (c.bias == nil ? ", bias: false)" : ")")
    case let p as MaxPool2D:
      return "max_pool2d(\(p.kernelSize)\(p.stride != p.kernelSize ? ", stride: \(p.stride)" : ""))"
    case let p as AvgPool2D:
      return "avg_pool2d(\(p.kernelSize)\(p.stride != p.kernelSize ? ", stride: \(p.stride)" : ""))"
    case is ReLU: return "relu()"
    case is Tanh: return "tanh_layer()"
    case is Sigmoid: return "sigmoid_layer()"
    case let d as Dropout: return "dropout(\(Value.float(d.probability).repr()))"
    case let b as BatchNorm1D: return "batch_norm1d(\(b.featureCount))"
    case let b as BatchNorm2D: return "batch_norm2d(\(b.featureCount))"
    case let f as Flatten: return "flatten(\(f.startDimension == 1 ? "" : "start: \(f.startDimension)"))"
    case let s as Sequential: return "sequential with \(s.count) layers"
    default: return m.typeName
    }
  }

  var attributeNames: [String] {
    module.namedChildren().map(\.0).filter { !$0.isEmpty && !$0.first!.isNumber }
      + ownParameters.map(\.0)
  }

  /// Parameters held by this module itself (not its children), with their short names.
  var ownParameters: [(String, NNParameter)] {
    module.namedParameters().filter { !$0.0.contains(".") }
  }

  func attribute(_ name: String) throws -> Value? {
    if let child = module.namedChildren().first(where: { $0.0 == name }) { return .host(ModuleObject(child.1)) }
    if let p = ownParameters.first(where: { $0.0 == name }) { return .host(ParameterObject(p.1, name: name)) }
    return nil
  }

  func subscriptGet(_ indices: [ScriptIndex]) throws -> Value? {
    let layers = module.children()
    guard indices.count == 1, case .value(let v) = indices[0], let i = v.integerValue else {
      throw ScriptError.failure("a module takes one integer index (its i-th layer)")
    }
    let j = i < 0 ? i + layers.count : i
    guard j >= 0 && j < layers.count else {
      throw ScriptError.failure("layer index \(i) is out of range for \(layers.count) layers")
    }
    return .host(ModuleObject(layers[j]))
  }

  func makeIterator() throws -> AnyIterator<Value>? {
    var it = module.children().makeIterator()
    return AnyIterator { it.next().map { .host(ModuleObject($0)) } }
  }
}

/// A trainable tensor of a module, as optimizers update it in place.
final class ParameterObject: ScriptHost {
  package static let scriptType = "parameter"
  let parameter: NNParameter
  /// The dotted name inside the module it came from (`0.weight`).
  let name: String

  init(_ parameter: NNParameter, name: String) {
    self.parameter = parameter
    self.name = name
  }

  var description: String { "parameter \(name) \(Format.shape(parameter.shape))" }

  func setAttribute(_ attribute: String, _ value: Value) throws -> Bool {
    guard attribute == "value" else { return false }
    let t = try TensorConversion.tensor(from: value)
    guard t.shape == parameter.shape else {
      throw ScriptError.failure(
        "parameter \(name) has shape \(Format.shape(parameter.shape)), got a tensor of shape \(Format.shape(t.shape))")
    }
    parameter.value = t
    return true
  }
}

/// An optimizer over parameters (SGD or Adam) with `step()`, `zero_grad()` and a settable `lr`.
final class OptimizerObject: ScriptHost {
  package static let scriptType = "optimizer"
  let optimizer: Optimizer
  let settings: String

  init(_ optimizer: Optimizer, settings: String) {
    self.optimizer = optimizer
    self.settings = settings
  }

  var description: String {
    let values = optimizer.parameters.reduce(0) { $0 + $1.count }
    return
      "\(settings), lr \(Value.float(optimizer.learningRate).repr()), over \(optimizer.parameters.count) parameters (\(Format.grouped(values)) values)"
  }

  func setAttribute(_ name: String, _ value: Value) throws -> Bool {
    guard name == "lr" else { return false }
    guard case .number(let x) = value, x >= 0, x.isFinite else {
      throw ScriptError.failure("lr must be a non-negative number, got \(value.repr())")
    }
    optimizer.learningRate = Float(x)
    // a schedule scales the initial rate: a rate set by hand becomes the new base
    for i in optimizer.parameterGroups.indices { optimizer.parameterGroups[i].initialLearningRate = Float(x) }
    return true
  }
}

/// A learning-rate schedule driving an optimizer: each `step()` advances it and sets the rate.
final class ScheduleObject: ScriptHost {
  package static let scriptType = "schedule"
  let schedule: LearningRateSchedule
  let optimizer: Optimizer
  let name: String
  var steps = 0

  init(_ schedule: LearningRateSchedule, optimizer: Optimizer, name: String) {
    self.schedule = schedule
    self.optimizer = optimizer
    self.name = name
  }

  var description: String {
    "\(name) schedule at step \(steps), lr \(Value.float(optimizer.learningRate).repr())"
  }
}
