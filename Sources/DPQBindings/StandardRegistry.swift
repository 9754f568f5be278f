import DPQLanguage

extension BuiltinRegistry {
  /// The registry every session starts with: the language's core builtins, the library bindings
  /// (nn, data, images, dpq, quantizers, index, evaluation, plot), then the system family.
  public static func standard() -> BuiltinRegistry {
    var registry = BuiltinRegistry.core()
    NNBindings.register(into: &registry)
    DataBindings.register(into: &registry)
    ImageBindings.register(into: &registry)
    ModelBindings.register(into: &registry)
    QuantizerBindings.register(into: &registry)
    IndexBindings.register(into: &registry)
    EvaluationBindings.register(into: &registry)
    PlotBindings.register(into: &registry)
    registry.registerSystemBuiltins()
    return registry
  }
}

extension ScriptSession {
  /// A session with the standard registry: the language and every library binding.
  public convenience init(output: OutputSink) {
    self.init(output: output, registry: .standard())
  }
}

extension Interpreter {
  /// An interpreter with the standard registry: the language and every library binding.
  public convenience init(output: OutputSink) {
    self.init(registry: .standard(), output: output)
  }
}

/// In the bindings `Parameter` is a builtin's signature entry, as in the language; a network's
/// trainable tensor is spelled `DPQNN.Parameter`.
typealias Parameter = DPQLanguage.Parameter
