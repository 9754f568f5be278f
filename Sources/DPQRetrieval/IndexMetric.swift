/// How the index scores a query against a reconstruction.
public enum IndexMetric: String, CaseIterable, Sendable {
  /// `<q, x_hat> = sum_m T_m[b_m]`; larger is better.
  case innerProduct
  /// `||q - x_hat||^2 = ||q||^2 - 2 sum_m T_m[b_m] + ||x_hat||^2`; smaller is better.
  case squaredL2

  /// Whether a larger score ranks first.
  public var largerIsBetter: Bool { self == .innerProduct }
}
