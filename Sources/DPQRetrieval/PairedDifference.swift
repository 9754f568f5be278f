import Foundation

/// The mean of paired differences a_i - b_i (e.g. one query's AP under two methods) with a 95 %
/// confidence interval: mean +- t_{0.975, n-1} * sd / sqrt(n), the paired t interval. Pairing
/// removes the query-to-query spread both methods share, so a small but consistent lead shows.
public struct PairedDifference: Equatable, Sendable, CustomStringConvertible {
  public let count: Int
  public let mean: Double
  /// Sample standard deviation of the differences (n - 1 in the denominator).
  public let standardDeviation: Double
  public let low: Double
  public let high: Double

  /// Differences of `a` and `b`, which must have the same positive count.
  public init(_ a: [Double], _ b: [Double]) throws {
    guard a.count == b.count, !a.isEmpty else {
      throw RetrievalError.invalidArgument(
        op: "PairedDifference", reason: "needs two equally long non-empty lists, got \(a.count) and \(b.count) values")
    }
    let d = zip(a, b).map { $0 - $1 }
    let n = Double(d.count)
    let m = d.reduce(0, +) / n
    let sd = d.count > 1 ? (d.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot() : 0
    let half = d.count > 1 ? PairedDifference.tQuantile975(degreesOfFreedom: d.count - 1) * sd / n.squareRoot() : 0
    mean = m
    standardDeviation = sd
    count = d.count
    low = mean - half
    high = mean + half
  }

  /// Whether the whole interval lies above zero.
  public var isPositive: Bool { low > 0 }

  public var description: String { String(format: "%+.4f [%+.4f, %+.4f]", mean, low, high) }

  /// The 0.975 quantile of Student's t: exact table values up to 30 degrees of freedom, then the
  /// Cornish-Fisher expansion around the normal quantile (error below 1e-4 from 30 on).
  static func tQuantile975(degreesOfFreedom v: Int) -> Double {
    let table: [Double] = [
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
      2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ]
    if v >= 1 && v <= table.count { return table[v - 1] }
    let z = 1.959964
    let n = Double(v)
    let g1 = (z * z * z + z) / 4
    let g2 = (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / 96
    return z + g1 / n + g2 / (n * n)
  }
}
