/// The contiguous Float32 buffer behind one or more tensors. Tensors share a storage until one of
/// them is mutated (copy-on-write), which is what gives `Tensor` its value semantics.
public final class TensorStorage {
  public let count: Int
  public let pointer: UnsafeMutablePointer<Float>

  /// Allocates `count` floats, zero-filled unless `zeroed` is false (callers that overwrite every
  /// element skip the fill).
  init(count: Int, zeroed: Bool = true) {
    self.count = count
    pointer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
    if zeroed { pointer.initialize(repeating: 0, count: Swift.max(count, 1)) }
  }

  convenience init<C: Collection>(copying values: C) where C.Element == Float {
    self.init(count: values.count, zeroed: false)
    var i = 0
    for v in values {
      pointer[i] = v
      i += 1
    }
  }

  func copy() -> TensorStorage {
    let s = TensorStorage(count: count, zeroed: false)
    s.pointer.update(from: pointer, count: count)
    return s
  }

  deinit { pointer.deallocate() }
}
