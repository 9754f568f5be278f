import DPQTensor
import Foundation

// The activation layers call the tensor ops (`Tensor.relu`, `tanh`, `sigmoid`): one
// implementation of each, with its gradient, in DPQTensor.

/// `max(x, 0)` elementwise; NaN gives 0 (the layer's behaviour since 0.1.0, unlike `Tensor.relu`).
public final class ReLU: Module {
  public override init() { super.init() }
  public override func forward(_ x: Tensor) throws -> Tensor {
    try Tensor.checkShape(x.shape, op: "relu") // the memory left under an rlimit or cgroup limit
    return x.relu(nanToZero: true)
  }
}

/// The hyperbolic tangent elementwise.
public final class Tanh: Module {
  public override init() { super.init() }
  public override func forward(_ x: Tensor) throws -> Tensor {
    try Tensor.checkShape(x.shape, op: "tanh") // the memory left under an rlimit or cgroup limit
    return x.tanh()
  }
}

/// The logistic function `1 / (1 + e^-x)` elementwise.
public final class Sigmoid: Module {
  public override init() { super.init() }
  public override func forward(_ x: Tensor) throws -> Tensor {
    try Tensor.checkShape(x.shape, op: "sigmoid") // the memory left under an rlimit or cgroup limit
    return x.sigmoid()
  }
}

/// Flattens dimensions `startDimension...` into one, as PyTorch's `nn.Flatten` (default from 1:
/// `[N, C, H, W]` -> `[N, C*H*W]`). Shares storage; its gradient is a reshape.
public final class Flatten: Module {
  public let startDimension: Int

  public init(startDimension: Int = 1) {
    self.startDimension = startDimension
    super.init()
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    let start = startDimension < 0 ? startDimension + x.rank : startDimension
    guard start >= 0, start < max(x.rank, 1) else {
      throw NNError.badInput(layer: "Flatten", expected: "a tensor with a dimension \(startDimension)", shape: x.shape)
    }
    if x.rank == 0 { return try x.reshaped([1]) }
    return try x.reshaped(Array(x.shape.prefix(start)) + [x.shape.suffix(from: start).reduce(1, *)])
  }
}
