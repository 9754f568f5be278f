import DPQTensor

/// Runs `body` with a read pointer to the values of `t` (valid only inside `body`).
@inline(__always)
func withValues<R>(_ t: Tensor, _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
  try t.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// Runs `body` with a read pointer to the values of `t`, or nil when there is no tensor.
@inline(__always)
func withOptionalValues<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
  guard let t else { return try body(nil) }
  return try t.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// A fresh tensor whose values `body` writes, all of them.
@inline(__always)
func makeTensor(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> Tensor {
  try Tensor(shape: shape) { try body($0.baseAddress!) }
}

/// A fresh zero-filled tensor that `body` then accumulates into.
@inline(__always)
func makeZeroedTensor(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> Tensor {
  try Tensor(shape: shape) { o in
    o.initialize(repeating: 0)
    try body(o.baseAddress!)
  }
}
