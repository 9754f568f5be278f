import DPQTensor

/// k-means++ seeding (Arthur and Vassilvitskii 2007): the first seed uniformly, every next one
/// with probability proportional to its squared distance to the nearest seed so far.
///
/// Seeds come from at most `candidates` rows (a seeded sample when `count` is larger), because
/// each new seed updates the distance of every candidate. Distances are exact (computed from the
/// difference, not from norms), so a row equal to a chosen seed has weight 0 and the seeds are
/// distinct rows; if every remaining candidate coincides with a seed, the next seed is drawn
/// uniformly from the rows not chosen yet. Returns row indices into the `count` rows.
func kMeansPlusPlus(
  _ p: UnsafePointer<Float>, count: Int, dimension d: Int, k: Int, candidates: Int,
  rng: inout RandomGenerator
) throws -> [Int] {
  let pool: [Int] = count > candidates ? try rng.choice(count, count: candidates).sorted() : Array(0..<count)
  let m = pool.count
  var nearest = [Float](repeating: .infinity, count: m)
  var chosen = [Bool](repeating: false, count: m)
  var seeds: [Int] = []
  seeds.reserveCapacity(k)
  var next = rng.nextInt(below: m)
  let chunk = 2048
  for s in 0..<k {
    chosen[next] = true
    seeds.append(next)
    if s == k - 1 { break }
    // Update every candidate's distance to its nearest seed (both cores).
    let center = p + pool[next] * d
    nearest.withUnsafeMutableBufferPointer { nb in
      let out = nb.baseAddress!
      pool.withUnsafeBufferPointer { pb in
        let rows = pb.baseAddress!
        Parallel.forEachChunk(count: m, chunkSize: chunk, makeScratch: { () }) { range, _ in
          for i in range {
            let dist = squaredDistance(p + rows[i] * d, center, d)
            if dist < out[i] { out[i] = dist }
          }
        }
      }
    }
    nearest[next] = 0
    var total = 0.0
    for i in 0..<m where !chosen[i] { total += Double(nearest[i]) }
    if total > 0 {
      let r = Double(rng.nextUniform()) * total
      var cum = 0.0
      next = -1
      var lastPositive = -1
      for i in 0..<m where !chosen[i] && nearest[i] > 0 {
        cum += Double(nearest[i])
        lastPositive = i
        if cum > r {
          next = i
          break
        }
      }
      if next < 0 { next = lastPositive } // r within rounding of the total
    } else {
      var rank = rng.nextInt(below: m - s - 1)
      next = -1
      for i in 0..<m where !chosen[i] {
        if rank == 0 {
          next = i
          break
        }
        rank -= 1
      }
    }
  }
  return seeds.map { pool[$0] }
}
