/// A growable buffer of floats that a worker or a layer reuses across calls, so hot loops do not
/// allocate (and page-fault on) large fresh blocks every step. The one scratch buffer of the
/// package: layers, quantizers and the index use it (package access).
package final class ScratchBuffer {
  package private(set) var pointer: UnsafeMutablePointer<Float>
  package private(set) var capacity: Int

  package init(capacity: Int = 0) {
    self.capacity = max(1, capacity)
    pointer = .allocate(capacity: self.capacity)
  }

  /// A pointer to at least `count` floats; the contents are undefined after growth.
  package func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
    if count > capacity {
      pointer.deallocate()
      capacity = count
      pointer = .allocate(capacity: count)
    }
    return pointer
  }

  deinit { pointer.deallocate() }
}
