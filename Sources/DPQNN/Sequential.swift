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

  /// Runs the layers in order; `Conv2D, ReLU, MaxPool2D(2)` runs as one fused op where
  /// `Conv2D.canFuseReLU` allows (the same values and gradients, fewer passes over memory).
  public override func forward(_ x: Tensor) throws -> Tensor {
    var h = x
    var i = 0
    while i < layers.count {
      if i + 2 < layers.count, let conv = layers[i] as? Conv2D, layers[i + 1] is ReLU,
        let pool = layers[i + 2] as? MaxPool2D, conv.canFuseReLU(pool, on: h)
      {
        h = try conv.forwardReLUMaxPool(h)
        conv.lastOutputShape = [h.shape[0], conv.outputChannels, 2 * h.shape[2], 2 * h.shape[3]]
        layers[i + 1].lastOutputShape = conv.lastOutputShape
        pool.lastOutputShape = h.shape
        i += 3
        continue
      }
      h = try layers[i](h)
      i += 1
    }
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
