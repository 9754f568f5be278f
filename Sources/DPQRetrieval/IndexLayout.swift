import DPQTensor

/// How an index's codebooks turn codes back into vectors.
public enum IndexLayout {
  /// Full-dimensional codebooks `[M, K, D]` (DPQ, residual quantization): the reconstruction of
  /// an item is the sum of one codeword per block, `x_hat = sum_m c_{m, b_m}`, and its first m
  /// blocks are a shorter code from the same model.
  case additive(codebooks: Tensor)
  /// Sub-space codebooks `[M, K, D/M]` on consecutive slices of the vector (PQ, OPQ): block m
  /// quantizes coordinates `m*D/M ..< (m+1)*D/M`. An optional orthogonal `[D, D]` rotation R is
  /// applied to queries first, with the convention `y = x @ R^T` (rotated = R x): the codes
  /// describe R x, and `reconstruct` returns `R^T y_hat` in the original space. A prefix of m
  /// blocks reconstructs the first m slices and leaves the rest zero.
  case product(codebooks: Tensor, rotation: Tensor?)

  /// The codebooks tensor of either layout.
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

/// How the index scores a query against a reconstruction.
public enum IndexMetric: String, CaseIterable, Sendable {
  /// `<q, x_hat> = sum_m T_m[b_m]`; larger is better.
  case innerProduct
  /// `||q - x_hat||^2 = ||q||^2 - 2 sum_m T_m[b_m] + ||x_hat||^2`; smaller is better.
  case squaredL2

  /// Whether a larger score ranks first.
  public var largerIsBetter: Bool { self == .innerProduct }
}
