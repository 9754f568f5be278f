import Foundation

/// A Float32 tensor of any rank with contiguous row-major storage and value semantics.
///
/// Copies share storage until one of them is mutated (copy-on-write), so no aliasing a user can
/// write changes another tensor. A tensor that takes part in a differentiable computation carries
/// a `GradNode` (see Autograd.swift); the node is what `backward()` walks.
public struct Tensor {
  public private(set) var shape: [Int]
  var storage: TensorStorage
  /// The autodiff node; nil for constants and for everything computed under `noGrad`.
  public internal(set) var node: GradNode?

  /// Largest tensor dpq will allocate, in elements (16 GiB of Float32). Bigger requests are
  /// refused with `TensorError.tooLarge` before any memory is touched.
  nonisolated(unsafe) public static var maxElements = 4 << 30

  /// The largest tensor this process can hold, in elements: `maxElements`, and no more than the
  /// physical memory, the rlimits and the cgroup limit (`MemoryLimit.capBytes`), so a request the
  /// machine cannot satisfy is refused up front rather than ending in a trap or the OOM killer.
  public static var elementLimit: Int {
    Swift.min(maxElements, Int(clamping: MemoryLimit.capBytes / 4))
  }

  // MARK: internal construction

  /// A tensor with freshly allocated storage; `zeroed: false` when the caller writes every element.
  init(shape: [Int], zeroed: Bool) {
    self.shape = shape
    storage = TensorStorage(count: shape.reduce(1, *), zeroed: zeroed)
    node = nil
  }

  init(shape: [Int], storage: TensorStorage, node: GradNode? = nil) {
    self.shape = shape
    self.storage = storage
    self.node = node
  }

  /// Builds a tensor by filling a fresh buffer; `body` must write all `count` elements.
  /// This is the fast path every op uses for its output.

  public init(shape: [Int], filling body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
    self.shape = shape
    storage = TensorStorage(count: shape.reduce(1, *), zeroed: false)
    node = nil
    try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
  }

  /// Refuses a shape before anything of its size is allocated: negative dimensions, more
  /// elements than `elementLimit`, and more bytes than the memory left under an rlimit or cgroup
  /// limit. Every op that makes a tensor of a new shape calls it on its result shape.
  ///
  /// Empty tensors count their non-zero dimensions too: `[0, 10^15]` holds nothing, but its
  /// strides, a transpose's matrix product or a reduction over its first axis would be that large.
  public static func checkShape(_ shape: [Int], op: String) throws {
    var n = 1
    var nominal = 1
    for d in shape {
      if d < 0 { throw TensorError.invalidShape(op: op, shape: shape, reason: "dimensions must be non-negative") }
      let (p, overflow) = n.multipliedReportingOverflow(by: d)
      let (q, nominalOverflow) = nominal.multipliedReportingOverflow(by: Swift.max(d, 1))
      if overflow || nominalOverflow || q > elementLimit {
        let elements = overflow || nominalOverflow ? Int.max : q
        throw TensorError.tooLarge(
          op: op, elements: elements,
          bytes: elements.multipliedReportingOverflow(by: 4).overflow ? Int.max : elements * 4)
      }
      n = p
      nominal = q
    }
    let bytes = n * 4
    if bytes >= MemoryLimit.headroomThreshold, let (left, cap) = MemoryLimit.headroom(), UInt64(bytes) > left {
      throw TensorError.outOfMemory(op: op, bytes: bytes, available: Int(clamping: left), cap: cap)
    }
  }

  // MARK: public creation

  /// A tensor with the given shape and row-major values.
  public init(shape: [Int], scalars: [Float]) throws {
    try Tensor.checkShape(shape, op: "Tensor")
    let n = shape.reduce(1, *)
    guard n == scalars.count else {
      throw TensorError.invalidArgument(
        op: "Tensor", reason: "shape \(fmt(shape)) needs \(n) values, got \(scalars.count)")
    }
    self.shape = shape
    storage = TensorStorage(copying: scalars)
    node = nil
  }

  /// A rank-1 tensor of the given values.
  public init(_ scalars: [Float]) {
    shape = [scalars.count]
    storage = TensorStorage(copying: scalars)
    node = nil
  }

  /// A rank-2 tensor from rows of equal length.
  public init(_ rows: [[Float]]) throws {
    let cols = rows.first?.count ?? 0
    guard rows.allSatisfy({ $0.count == cols }) else {
      throw TensorError.invalidArgument(op: "Tensor", reason: "rows have different lengths")
    }
    try self.init(shape: [rows.count, cols], scalars: rows.flatMap { $0 })
  }

  /// A rank-0 tensor.
  public init(scalar: Float) {
    shape = []
    storage = TensorStorage(copying: [scalar])
    node = nil
  }

  public static func zeros(_ shape: [Int]) throws -> Tensor {
    try checkShape(shape, op: "zeros")
    return Tensor(shape: shape, zeroed: true)
  }

  public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, 1) }

  public static func full(_ shape: [Int], _ value: Float) throws -> Tensor {
    try checkShape(shape, op: "full")
    return Tensor(shape: shape) { $0.initialize(repeating: value) }
  }

  /// Values `start, start + step, ...` below `end`, like NumPy's arange.
  public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) throws -> Tensor {
    guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
      throw TensorError.invalidArgument(op: "arange", reason: "step must be finite and non-zero")
    }
    let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
    try checkShape([n], op: "arange")
    return Tensor(shape: [n]) { b in for i in 0..<n { b[i] = start + Float(i) * step } }
  }

  // MARK: inspection

  public var rank: Int { shape.count }
  public var count: Int { storage.count }
  /// The values in row-major order.
  public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count)) }

  /// The single value of a one-element tensor.
  public func item() throws -> Float {
    guard count == 1 else {
      throw TensorError.invalidArgument(
        op: "item", reason: "tensor of shape \(fmt(shape)) has \(count) elements, not 1")
    }
    return storage.pointer[0]
  }

  /// Reads the values without copying.

  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
  }

  /// Mutates the values, copying the storage first if another tensor shares it. A tensor that is
  /// part of a graph is detached, since its recorded value would no longer be the one it holds.

  public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R)
    rethrows -> R
  {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    if let n = node, !n.isLeaf { node = nil }
    return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
  }

  /// Writes into the storage shared by every copy of this tensor, without copy-on-write.
  /// Only optimizers use this: they update a parameter in place, and the graph that captured the
  /// old values is no longer needed once the step runs.
  package func updateSharedStorage(_ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
    try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
  }

  /// Whether two tensors share one storage buffer (for tests of the copy-on-write behaviour).
  public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

  /// Row-major strides of a shape.
  public static func strides(of shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      s[i] = acc
      acc *= shape[i]
    }
    return s
  }

  /// Reads one element at a multi-index.
  public func value(at index: [Int]) throws -> Float {
    try storage.pointer[flatIndex(index, op: "value(at:)")]
  }

  /// Writes one element at a multi-index (copy-on-write).
  public mutating func setValue(_ v: Float, at index: [Int]) throws {
    let i = try flatIndex(index, op: "setValue(at:)")
    withUnsafeMutableBufferPointer { $0[i] = v }
  }

  func flatIndex(_ index: [Int], op: String) throws -> Int {
    guard index.count == rank else {
      throw TensorError.invalidArgument(op: op, reason: "\(index.count) indices for a tensor of rank \(rank)")
    }
    var flat = 0
    for (i, d) in shape.enumerated() {
      var k = index[i]
      if k < 0 { k += d }
      guard k >= 0 && k < d else { throw TensorError.indexOutOfRange(op: op, index: index[i], bound: d) }
      flat = flat * d + k
    }
    return flat
  }
}

extension Tensor: Equatable {
  /// Equal shapes and equal values (the graph is not compared).
  public static func == (a: Tensor, b: Tensor) -> Bool {
    a.shape == b.shape && (a.storage === b.storage || a.scalars == b.scalars)
  }
}

/// A tensor is a value that can be handed between tasks and threads: copies share storage only
/// until one of them is written, and a write first copies any storage another tensor still
/// references (the check is on the atomic reference count, as Array's is), so no thread sees
/// another's writes. The compiler cannot prove this for the storage class, hence `@unchecked`.
/// The autodiff graph a tensor may carry (`node`) is not for sharing: `backward()` accumulates
/// gradients into it, so differentiate on one task, and send results (or `detached()` copies).
extension Tensor: @unchecked Sendable {}
