import DPQQuantization
import DPQTensor
import Foundation

@testable import DPQRetrieval

/// Seeded random indexes and helpers shared by the retrieval tests.
enum Fixture {
  /// A random orthogonal D x D matrix (Gram-Schmidt in Double on a normal matrix).
  static func orthogonal(_ d: Int, rng: inout RandomGenerator) throws -> Tensor {
    var rows: [[Double]] = []
    while rows.count < d {
      var v = (0..<d).map { _ in Double(rng.nextNormal()) }
      for r in rows {
        let dot = zip(v, r).reduce(0) { $0 + $1.0 * $1.1 }
        for j in 0..<d { v[j] -= dot * r[j] }
      }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      if norm > 1e-6 { rows.append(v.map { $0 / norm }) }
    }
    return try Tensor(shape: [d, d], scalars: rows.flatMap { $0.map(Float.init) })
  }

  enum Layout: String, CaseIterable { case additive, product, rotatedProduct }

  /// An index with `n` random items; items `dup.1` copy the codes of `dup.0` so that scores tie.
  static func index(
    layout: Layout, metric: IndexMetric, n: Int = 300, blocks m: Int = 4, codewords k: Int = 16,
    dimension d: Int = 12, seed: UInt64 = 1
  ) throws -> Index {
    var rng = RandomGenerator(seed: seed)
    let indexLayout: CodebookLayout
    switch layout {
    case .additive:
      indexLayout = .additive(codebooks: try Tensor.randomNormal([m, k, d], using: &rng))
    case .product:
      indexLayout = .product(codebooks: try Tensor.randomNormal([m, k, d / m], using: &rng), rotation: nil)
    case .rotatedProduct:
      let books = try Tensor.randomNormal([m, k, d / m], using: &rng)
      indexLayout = .product(codebooks: books, rotation: try orthogonal(d, rng: &rng))
    }
    var index = try Index(layout: indexLayout, metric: metric)
    try index.add(codes: try randomCodes(n: n, blocks: m, codewords: k, rng: &rng))
    return index
  }

  /// Random codes where every 7th item repeats the codes of the item 5 places before it, and a
  /// run of items shares the codes of item 0 (deliberate ties).
  static func randomCodes(n: Int, blocks m: Int, codewords k: Int, rng: inout RandomGenerator) throws -> Codes {
    var values = (0..<(n * m)).map { _ in rng.nextInt(below: k) }
    for i in stride(from: 7, to: n, by: 7) { for b in 0..<m { values[i * m + b] = values[(i - 5) * m + b] } }
    for i in [3, 4, n / 2, n - 1] where i < n { for b in 0..<m { values[i * m + b] = values[b] } }
    return try Codes(count: n, blockCount: m, codewordCount: k, values: values)
  }

  static func queries(_ nq: Int, dimension d: Int, seed: UInt64 = 99) throws -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return try Tensor.randomNormal([nq, d], using: &rng)
  }

  /// Ids of a full ranking of one row of scores by the tie rule (Float scores, as the index computes).
  static func fullSort(_ scores: [Float], metric: IndexMetric) -> [Int] {
    Array(0..<scores.count).sorted { a, b in
      if scores[a] != scores[b] { return metric.largerIsBetter ? scores[a] > scores[b] : scores[a] < scores[b] }
      return a < b
    }
  }
}

/// A stop poll that says "stop" after its first `allowed` calls; thread-safe, as the search polls
/// from its workers.
final class StopAfter: @unchecked Sendable {
  private let allowed: Int
  private var polls = 0
  private let lock = NSLock()

  init(_ allowed: Int) { self.allowed = allowed }

  func poll() -> Bool {
    lock.lock()
    defer { lock.unlock() }
    polls += 1
    return polls > allowed
  }
}
