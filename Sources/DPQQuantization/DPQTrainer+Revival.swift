import DPQNN
import DPQTensor

/// Codewords that no item chooses get no gradient from the hard losses and little from the soft
/// ones, so they stay where they are: on FM-full only 16 % of block 1's 256 codewords were in
/// use at the end, so 8-bit codes had about 41 distinct values and ranked by ties. Reviving an
/// unused codeword puts it on a residual that items actually have at its block.
extension DPQTrainer {
  /// Gives every codeword of block m outside `used[m]` a distinct residual from `residuals`
  /// (repeated with a small perturbation when the sample holds fewer than the dead count).
  func reviveUnusedCodewords(used: [Set<Int>], residuals: ResidualSample) throws {
    let k = model.codewordCount
    for (m, p) in model.codebooks.enumerated() {
      let dead = (0..<k).filter { !used[m].contains($0) }
      let sample = residuals.vectors[m]
      guard !dead.isEmpty, !sample.isEmpty else { continue }
      let d = p.value.shape[1]
      var book = p.value.scalars
      let order = rng.permutation(sample.count)
      for (i, row) in dead.enumerated() {
        let source = sample[order[i % sample.count]]
        // a repeat of a residual is moved off it by 1% of its size, so the two can separate
        let jitter: Float = i < sample.count ? 0 : 0.01
        for j in 0..<d { book[row * d + j] = source[j] * (1 + jitter * rng.nextNormal()) }
      }
      p.value = try Tensor(shape: p.value.shape, scalars: book)
    }
  }
}

/// A uniform sample (reservoir) of the residuals items had at each block during an epoch: x
/// minus the hard reconstruction of the blocks before it.
struct ResidualSample {
  private(set) var vectors: [[[Float]]]
  private var seen = 0
  let capacity: Int

  init(blocks: Int, capacity: Int) {
    vectors = Array(repeating: [], count: blocks)
    self.capacity = capacity
  }

  /// Adds a batch: features x [b, D] and the hard prefix reconstructions Xh_1..Xh_M [b, D].
  mutating func add(features x: Tensor, prefixes: [Tensor], rng: inout RandomGenerator) throws {
    let b = x.shape[0]
    let d = x.count / max(1, b)
    let xs = x.scalars
    let hs = prefixes.map(\.scalars)
    for i in 0..<b {
      seen += 1
      // reservoir sampling: item `seen` replaces a kept one with probability capacity / seen
      let slot: Int
      if vectors[0].count < capacity {
        slot = vectors[0].count
      } else {
        let r = Int(rng.next() % UInt64(seen))
        guard r < capacity else { continue }
        slot = r
      }
      for m in 0..<vectors.count {
        var r = [Float](repeating: 0, count: d)
        for j in 0..<d { r[j] = xs[i * d + j] - (m == 0 ? 0 : hs[m - 1][i * d + j]) }
        if slot == vectors[m].count { vectors[m].append(r) } else { vectors[m][slot] = r }
      }
    }
  }
}
