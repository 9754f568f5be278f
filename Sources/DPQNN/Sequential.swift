import DPQTensor

/// Modules applied in order, each to the previous one's output, as PyTorch's `nn.Sequential`.
/// Its children are named `0`, `1`, ... so parameters read `0.weight`, `2.bias`.
public final class Sequential: Module, RandomAccessCollection {
  private var layers: [Module]

  public init(_ layers: [Module]) {
    self.layers = layers
    super.init()
    for (i, m) in layers.enumerated() { registerModule(m, named: String(i)) }
  }

  public convenience init(_ layers: Module...) { self.init(layers) }

  /// Layers with their own names (PyTorch's `nn.Sequential(OrderedDict(...))`), so parameters read
  /// `conv1.weight` rather than `0.weight`.
  public init(namedLayers: [(String, Module)]) {
    layers = namedLayers.map(\.1)
    super.init()
    for (name, m) in namedLayers { registerModule(m, named: name) }
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    var h = x
    for layer in layers { h = try layer(h) }
    return h
  }

  /// Adds a layer at the end, named by its position unless a name is given.
  public func append(_ layer: Module, named name: String? = nil) {
    registerModule(layer, named: name ?? String(layers.count))
    layers.append(layer)
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { layers.count }
  public subscript(position: Int) -> Module { layers[position] }
}
