import DPQTensor
import Foundation

/// Fused elementwise activations: one pass forward, one pass backward from the saved output.
enum Activation {
  static func relu(_ x: Tensor) -> Tensor {
    let n = x.count
    let y = makeTensor(x.shape) { o in
      withValues(x) { p in
        Parallel.forEachRange(n) { range in
          // explicit SIMD: the scalar loop was not vectorised
          var i = range.lowerBound
          while i + 8 <= range.upperBound {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(
              of: v.replacing(with: 0, where: .!(v .> 0)), as: SIMD8<Float>.self)
            i += 8
          }
          while i < range.upperBound {
            o[i] = p[i] > 0 ? p[i] : 0
            i += 1
          }
        }
      }
    }
    let yd = y
    return Tensor.record(y, op: "relu", inputs: [x]) { g in
      [
        makeTensor(g.shape) { o in
          withValues(g) { gp in
            withValues(yd) { yp in
              Parallel.forEachRange(n) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                  let v = UnsafeRawPointer(yp + i).loadUnaligned(as: SIMD8<Float>.self)
                  let d = UnsafeRawPointer(gp + i).loadUnaligned(as: SIMD8<Float>.self)
                  UnsafeMutableRawPointer(o + i).storeBytes(
                    of: d.replacing(with: 0, where: .!(v .> 0)), as: SIMD8<Float>.self)
                  i += 8
                }
                while i < range.upperBound {
                  o[i] = yp[i] > 0 ? gp[i] : 0
                  i += 1
                }
              }
            }
          }
        }
      ]
    }
  }

  static func tanh(_ x: Tensor) -> Tensor {
    let y = makeTensor(x.shape) { o in withValues(x) { p in for i in 0..<x.count { o[i] = Foundation.tanh(p[i]) } } }
    let yd = y
    return Tensor.record(y, op: "tanh", inputs: [x]) { g in
      [
        makeTensor(g.shape) { o in
          withValues(g) { gp in
            withValues(yd) { yp in
              for i in 0..<yd.count { o[i] = gp[i] * (1 - yp[i] * yp[i]) }
            }
          }
        }
      ]
    }
  }

  static func sigmoid(_ x: Tensor) -> Tensor {
    let y = makeTensor(x.shape) { o in withValues(x) { p in for i in 0..<x.count { o[i] = logistic(p[i]) } } }
    let yd = y
    return Tensor.record(y, op: "sigmoid", inputs: [x]) { g in
      [
        makeTensor(g.shape) { o in
          withValues(g) { gp in
            withValues(yd) { yp in
              for i in 0..<yd.count { o[i] = gp[i] * yp[i] * (1 - yp[i]) }
            }
          }
        }
      ]
    }
  }

  /// 1 / (1 + e^-v) without overflow for large |v|.
  @inline(__always)
  static func logistic(_ v: Float) -> Float {
    if v >= 0 { return 1 / (1 + Foundation.exp(-v)) }
    let e = Foundation.exp(v)
    return e / (1 + e)
  }
}

/// `max(x, 0)` elementwise.
public final class ReLU: Module {
  public override init() { super.init() }
  public override func forward(_ x: Tensor) throws -> Tensor {
    try Tensor.checkShape(x.shape, op: "relu") // the memory left under an rlimit or cgroup limit
    return Activation.relu(x)
  }
}

/// The hyperbolic tangent elementwise.
public final class Tanh: Module {
  public override init() { super.init() }
  public override func forward(_ x: Tensor) throws -> Tensor {
    try Tensor.checkShape(x.shape, op: "tanh") // the memory left under an rlimit or cgroup limit
    return Activation.tanh(x)
  }
}

/// The logistic function `1 / (1 + e^-x)` elementwise.
public final class Sigmoid: Module {
  public override init() { super.init() }
  public override func forward(_ x: Tensor) throws -> Tensor {
    try Tensor.checkShape(x.shape, op: "sigmoid") // the memory left under an rlimit or cgroup limit
    return Activation.sigmoid(x)
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
