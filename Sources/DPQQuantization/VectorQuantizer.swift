import DPQTensor

/// A vector quantizer in faiss's vocabulary: `train` on n x D vectors, `encode` them to n x M codes,
/// `decode` codes back to approximate vectors.
///
/// PQ, OPQ and RQ are structs: a trained quantizer is a value (its tensors are copy-on-write, so a
/// copy costs nothing), `train` is visibly `mutating`, and a trained value can be shared by any
/// number of threads encoding at once. A class (the DPQ model, which owns a network) conforms too:
/// a class satisfies `mutating` requirements with ordinary methods.
public protocol VectorQuantizer {
  /// Short name for messages and listings ("PQ", "OPQ", "RQ").
  var name: String { get }
  /// Vector dimension (D).
  var dimension: Int { get }
  /// Codes per vector (M): subspaces for PQ/OPQ, additive blocks for RQ/DPQ.
  var blockCount: Int { get }
  /// Codewords per block (K).
  var codewordCount: Int { get }
  /// Bytes one encoded vector occupies in `Codes` (unpacked: M bytes when K <= 256, else 2M).
  var codeSizeBytes: Int { get }
  /// Whether `train` has run (or the state was loaded), so `encode` and `decode` work.
  var isTrained: Bool { get }
  /// The codebooks and how they combine, for a search index's lookup tables.
  var layout: CodebookLayout { get throws }
  /// What a file needs to rebuild this quantizer: "type", "dimension", "blockCount",
  /// "codewordCount" and type-specific keys, all as strings (safetensors `__metadata__`).
  var configuration: [String: String] { get }

  /// Learns the codebooks from `x` ([n, D]); `control` can report progress and stop early.
  @discardableResult
  mutating func train(_ x: Tensor, control: TrainingControl) throws -> TrainingReport
  /// Codes of the rows of `x` ([n, D]): n x M.
  func encode(_ x: Tensor) throws -> Codes
  /// Reconstructions ([n, D]) of n x M codes.
  func decode(_ codes: Codes) throws -> Tensor
  /// The learned tensors under stable names ("pq.codebooks", "opq.rotation", ...); empty when
  /// untrained. With `configuration` this is everything `QuantizerLoader.load` needs.
  func stateTensors() -> [(String, Tensor)]
}

/// How a quantizer's codewords make a reconstruction. A search index (DPQRetrieval's `Index`)
/// builds its per-query lookup tables and reconstructions from this, whatever the quantizer; a
/// prefix of m blocks is a shorter code (additive: the sum of the first m codewords; product: the
/// first m slices, the rest zero).
public enum CodebookLayout: Sendable {
  /// M full-dimensional codebooks, shape [M, K, D]; the reconstruction is the sum of one codeword
  /// per block (RQ, DPQ). Inner product with a query separates into M table lookups; the squared
  /// norm of the reconstruction does not (store it per item).
  case additive(codebooks: Tensor)
  /// M codebooks of sub-vectors, shape [M, K, D/M]; block m reconstructs dimensions
  /// m*D/M ..< (m+1)*D/M of the rotated vector. `rotation` R ([D, D], orthogonal, nil = identity)
  /// is applied before splitting: the rotated vector is `R x`, i.e. `X_rot = X @ R^T` for row
  /// vectors, and a reconstruction goes back with `X_hat = Y_hat @ R`. Since R is orthogonal, a
  /// query q is rotated once (`R q`) and distances and inner products are unchanged.
  case product(codebooks: Tensor, rotation: Tensor?)

  /// Codebooks tensor (rank 3) whatever the case.
  public var codebooks: Tensor {
    switch self {
    case .additive(let c): return c
    case .product(let c, _): return c
    }
  }

  /// The query rotation of a product layout, if any.
  public var rotation: Tensor? {
    if case .product(_, let r) = self { return r }
    return nil
  }

  /// Whether codewords span the full dimension (true) or one slice each (false).
  public var isAdditive: Bool {
    if case .additive = self { return true }
    return false
  }
}

/// Hooks a caller passes to a long training run: the REPL's Ctrl-C uses `shouldStop`, progress
/// bars and logs use `progress`.
public struct TrainingControl {
  /// Checked once per k-means iteration (and per outer OPQ iteration); when it returns true the
  /// run stops and keeps what it has computed (remaining k-means runs keep their seeds).
  public var shouldStop: (@Sendable () -> Bool)?
  /// Called after every k-means iteration and every outer OPQ iteration.
  public var progress: ((TrainingProgress) -> Void)?

  public init(shouldStop: (@Sendable () -> Bool)? = nil, progress: ((TrainingProgress) -> Void)? = nil) {
    self.shouldStop = shouldStop
    self.progress = progress
  }

  var stopRequested: Bool { shouldStop?() ?? false }
}

/// One step of a training run.
public struct TrainingProgress: CustomStringConvertible {
  /// Which sub-problem: "subspace 2/4", "block 3/4", "rotation".
  public var phase: String
  /// Iteration within the phase, from 0.
  public var iteration: Int
  /// The phase's objective after the iteration: k-means sum of squared distances, or for OPQ's
  /// rotation phase the training set's squared reconstruction error.
  public var objective: Double

  public var description: String { "\(phase) iteration \(iteration): objective \(objective)" }
}

/// What a training run did: every progress step, and whether it was stopped early.
public struct TrainingReport {
  public var steps: [TrainingProgress] = []
  /// True when `shouldStop` ended the run; the quantizer is usable but trained for less long.
  public var stopped = false

  public init() {}

  /// Objectives of one phase, in iteration order.
  public func objectives(phase: String) -> [Double] { steps.filter { $0.phase == phase }.map(\.objective) }
}

extension VectorQuantizer {
  public var codeSizeBytes: Int { blockCount * (codewordCount <= 256 ? 1 : 2) }

  /// Bits of information per encoded vector: M * ceil(log2 K) (32 for M = 4, K = 256).
  public var codeLengthBits: Int {
    var bits = 0
    while (1 << bits) < codewordCount { bits += 1 }
    return blockCount * bits
  }

  /// Trains without progress reporting or cancellation.
  @discardableResult
  public mutating func train(_ x: Tensor) throws -> TrainingReport { try train(x, control: TrainingControl()) }

  /// `decode(encode(x))`: the vectors as the quantizer sees them.
  public func reconstruct(_ x: Tensor) throws -> Tensor { try decode(encode(x)) }

  /// Squared reconstruction error of every row, `||x_i - decode(encode(x_i))||^2`.
  public func squaredErrors(_ x: Tensor) throws -> [Float] {
    let y = try reconstruct(x)
    let n = x.shape[0]
    let d = x.shape[1]
    return x.withUnsafeBufferPointer { xb in
      y.withUnsafeBufferPointer { yb in
        (0..<n).map { i in
          var s: Float = 0
          for j in 0..<d {
            let t = xb[i * d + j] - yb[i * d + j]
            s += t * t
          }
          return s
        }
      }
    }
  }

  /// `sum_i ||x_i - x_hat_i||^2 / sum_i ||x_i||^2` over the set: 0 is perfect, 1 is as bad as
  /// reconstructing every vector as zero.
  public func relativeDistortion(_ x: Tensor) throws -> Double {
    let errors = try squaredErrors(x)
    let total = x.withUnsafeBufferPointer { b in b.reduce(0.0) { $0 + Double($1) * Double($1) } }
    let err = errors.reduce(0.0) { $0 + Double($1) }
    return total > 0 ? err / total : (err > 0 ? .infinity : 0)
  }
}

// MARK: shared validation

/// Checks that `x` is [n, dimension] and returns n.
func checkMatrix(_ x: Tensor, dimension: Int, op: String) throws -> Int {
  guard x.rank == 2 else {
    throw QuantizationError.invalidShape(
      op: op, shape: x.shape, expected: "a matrix [n, \(dimension)] with one vector per row")
  }
  guard x.shape[1] == dimension else {
    throw QuantizationError.dimensionMismatch(op: op, expected: dimension, got: x.shape[1])
  }
  return x.shape[0]
}

/// Throws on the first NaN or infinity (training on them would silently poison every codeword).
func checkFinite(_ x: Tensor, op: String) throws {
  let d = x.rank == 2 ? max(1, x.shape[1]) : 1
  let bad: Int? = x.withUnsafeBufferPointer { b in
    var i = 0
    while i < b.count {
      if !b[i].isFinite { return i }
      i += 1
    }
    return nil
  }
  if let i = bad { throw QuantizationError.nonFiniteInput(op: op, row: i / d, column: i % d) }
}

/// Checks that codes come from a quantizer with `blocks` blocks of `codewords` codewords.
func checkCodes(_ codes: Codes, blocks: Int, codewords: Int, op: String) throws {
  guard codes.blockCount == blocks, codes.codewordCount == codewords else {
    throw QuantizationError.codesMismatch(
      op: op, expectedBlocks: blocks, expectedCodewords: codewords,
      gotBlocks: codes.blockCount, gotCodewords: codes.codewordCount)
  }
}

extension VectorQuantizer {
  /// One line for listings and the REPL: `PQ(D=300, M=4, K=256, 32 bits, trained)`.
  public var summary: String {
    var extras = ""
    if let beam = configuration["beamWidth"], beam != "1" { extras = ", beam \(beam)" }
    return
      "\(name)(D=\(dimension), M=\(blockCount), K=\(codewordCount), \(codeLengthBits) bits\(extras), \(isTrained ? "trained" : "untrained"))"
  }
}

extension ProductQuantizer: CustomStringConvertible {
  public var description: String { summary }
}

extension OptimizedProductQuantizer: CustomStringConvertible {
  public var description: String { summary }
}

extension ResidualQuantizer: CustomStringConvertible {
  public var description: String { summary }
}
