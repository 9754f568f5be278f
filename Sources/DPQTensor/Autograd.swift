/// Reverse-mode automatic differentiation on a dynamic graph, in the manner of micrograd:
/// every differentiable result keeps its parents, a backward closure and an op label, and
/// `backward()` sorts the graph topologically and runs the closures in reverse.

/// One vertex of the autodiff graph.
public final class GradNode {
  /// The op that produced the value ("matmul", "add", ...), or "leaf" for a parameter. A
  /// composite ("sub", "clamp", "mseLoss") names the node of its last step (`labelled`).
  public internal(set) var op: String
  /// The primitive or fused kernel whose hand-written gradient runs at this node: one of
  /// `GradientTable.primitives` or `GradientTable.fusedKernels` ("leaf" for a parameter).
  public let rule: String
  /// One entry per input of the op; nil where that input needs no gradient.
  public private(set) var parents: [GradNode?]
  /// Maps the gradient of the output to one gradient per input (nil where not needed).
  private(set) var backwardFn: ((Tensor) throws -> [Tensor?])?
  /// The accumulated gradient of a leaf after `backward()`; nil for interior nodes.
  public internal(set) var grad: Tensor?
  public let shape: [Int]

  init(op: String, rule: String? = nil, shape: [Int], parents: [GradNode?], backward: ((Tensor) throws -> [Tensor?])?) {
    self.op = op
    self.rule = rule ?? op
    self.shape = shape
    self.parents = parents
    self.backwardFn = backward
  }

  public var isLeaf: Bool { backwardFn == nil }

  /// Releases the graph above this node iteratively. Left to Swift, freeing a node frees its
  /// parents recursively, and a chain of ~100,000 ops overflows the stack. Each ancestor that
  /// only this teardown still holds has its links cut before it is released, so every deinit
  /// stays shallow. (The backward closure goes too: it captures the same parents.)
  deinit {
    guard !parents.isEmpty else { return }
    var pending = parents.compactMap { $0 }
    parents = []
    backwardFn = nil
    while var n = pending.popLast() {
      guard isKnownUniquelyReferenced(&n) else { continue }
      pending.append(contentsOf: n.parents.compactMap { $0 })
      n.parents = []
      n.backwardFn = nil
    }
  }
}

/// Whether ops record the graph. Evaluation code runs inside `Tensor.withNoGrad`.
/// The switch is task-local (thread-local outside tasks): an evaluation or search running under
/// `withNoGrad` on one thread must not stop a training step on another from recording, and
/// parallel tests must not see each other's setting.
private enum GradMode {
  @TaskLocal static var disabled = false
}

extension Tensor {
  /// Whether operations currently record the autodiff graph (on this task or thread).
  public static var isGradEnabled: Bool { !GradMode.disabled }

  /// Runs `body` without recording any graph (evaluation, encoding, search).
  public static func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$disabled.withValue(true) { try body() }
  }

  /// Whether gradients flow to this tensor.
  public var requiresGrad: Bool { node != nil }

  /// The same values as a leaf that accumulates a gradient on `backward()`.
  public func requiringGrad() -> Tensor {
    Tensor(shape: shape, storage: storage, node: GradNode(op: "leaf", shape: shape, parents: [], backward: nil))
  }

  /// The same values with no graph attached: gradients stop here.
  public func detached() -> Tensor { Tensor(shape: shape, storage: storage, node: nil) }

  /// The gradient accumulated in this leaf by `backward()` calls, if any.
  public var grad: Tensor? { node?.grad }

  /// Clears the accumulated gradient of this leaf.
  public func zeroGrad() { node?.grad = nil }

  /// Multiplies the accumulated gradient of this leaf by `factor` (gradient clipping); the scaled
  /// gradient is a fresh tensor, so nothing else that shares the old one changes.
  public func scaleGrad(by factor: Float) {
    guard let n = node, let g = n.grad else { return }
    n.grad = Tensor(shape: g.shape) { o in
      g.withUnsafeBufferPointer { s in for i in 0..<s.count { o[i] = s[i] * factor } }
    }
  }

  /// The op label of the node that produced this tensor ("leaf", "matmul", ...), nil for constants.
  public var op: String? { node?.op }

  /// Wraps an op's output in a graph node when recording is on and any input requires grad.
  /// `backward` receives the output gradient and returns one gradient per input, in order;
  /// it runs without recording, so gradients are never themselves differentiated.
  ///
  /// Only the primitives and the fused kernels of `GradientTable` call this (`rule` is their
  /// name there when the label carries more, as in "matmul(NT)"); every other differentiable op
  /// is a composite of them, named with `labelled`.
  public static func record(
    _ value: Tensor, op: String, rule: String? = nil, inputs: [Tensor],
    backward: @escaping (Tensor) throws -> [Tensor?]
  ) -> Tensor {
    guard isGradEnabled, inputs.contains(where: { $0.node != nil }) else { return value.detached() }
    let node = GradNode(op: op, rule: rule, shape: value.shape, parents: inputs.map(\.node), backward: backward)
    return Tensor(shape: value.shape, storage: value.storage, node: node)
  }

  /// The result of a composite under the composite's name: the node of its last step shows
  /// `label` (as `op`, in the REPL's graph and in the profiler) and keeps that step's gradient
  /// rule. A result that is one of `inputs`, or that carries no graph, is returned as it is.
  public func labelled(_ label: String, inputs: [Tensor]) -> Tensor {
    guard let n = node, !n.isLeaf, !inputs.contains(where: { $0.node === n }) else { return self }
    n.op = label
    return self
  }

  /// Back-propagates from this tensor, accumulating gradients into the leaves that require them.
  /// `gradient` defaults to ones (so a scalar loss needs none).
  public func backward(_ gradient: Tensor? = nil) throws {
    guard let root = node else { throw TensorError.noGradient(op: "backward") }
    let seed: Tensor
    if let g = gradient {
      guard g.shape == shape else { throw TensorError.shapeMismatch(op: "backward", lhs: shape, rhs: g.shape) }
      seed = g.detached()
    } else {
      seed = Tensor(shape: shape) { $0.initialize(repeating: 1) }
    }
    try Tensor.withNoGrad {
      let order = OpProfiler.measure("backward graph sort") { GradNode.topologicalOrder(from: root) }
      var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
      for n in order.reversed() {
        guard let g = grads.removeValue(forKey: ObjectIdentifier(n)) else { continue }
        guard let fn = n.backwardFn else {
          try OpProfiler.measure("gradient accumulation") { n.grad = try n.grad.map { try $0 + g } ?? g }
          continue
        }
        let inputGrads = try OpProfiler.measure("\(n.op) backward \(fmt(n.shape))") { try fn(g) }
        for (parent, pg) in zip(n.parents, inputGrads) {
          guard let parent, let pg else { continue }
          guard pg.shape == parent.shape else {
            throw TensorError.shapeMismatch(op: "backward of \(n.op)", lhs: parent.shape, rhs: pg.shape)
          }
          let key = ObjectIdentifier(parent)
          if let existing = grads[key] {
            grads[key] = try OpProfiler.measure("gradient accumulation") { try existing + pg }
          } else {
            grads[key] = pg
          }
        }
      }
    }
  }
}

extension GradNode {
  /// Nodes reachable from `root`, parents before children (iterative: graphs can be deep).
  static func topologicalOrder(from root: GradNode) -> [GradNode] {
    var order: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradNode, Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while let (n, i) = stack.popLast() {
      if i < n.parents.count {
        stack.append((n, i + 1))
        if let p = n.parents[i], visited.insert(ObjectIdentifier(p)).inserted { stack.append((p, 0)) }
      } else {
        order.append(n)
      }
    }
    return order
  }

  /// A printable outline of the graph below this node, one op per line (for the REPL).
  public func graphDescription(maxDepth: Int = 12) -> String {
    var lines: [String] = []
    func walk(_ n: GradNode, _ depth: Int) {
      lines.append(String(repeating: "  ", count: depth) + "\(n.op) \(fmt(n.shape))")
      if depth < maxDepth { for p in n.parents { if let p { walk(p, depth + 1) } } }
    }
    walk(self, 0)
    return lines.joined(separator: "\n")
  }
}
