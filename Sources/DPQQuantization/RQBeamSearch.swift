import DPQTensor

/// Beam-search encoding for additive codebooks [M, K, D].
///
/// Every vector keeps B partial codes with their residuals. At block m each partial code is
/// extended by every codeword: the candidate's error `||r - c||^2 = ||r||^2 - 2 r.c + ||c||^2`
/// comes from one sgemm of all residuals of a chunk against the block's codebook, the B best
/// candidates survive, and their residuals and errors are recomputed exactly. The code of the
/// best survivor after block M wins. B = 1 is greedy encoding.
///
/// A beam can drop the greedy path early and end worse than greedy on a vector; to make wider
/// beams never lose, B > 1 also runs the greedy path and keeps whichever code has the smaller
/// reconstruction error (1/B extra work).
struct RQBeamSearch {
  let codebooks: Tensor
  let beamWidth: Int

  /// n x M labels (item-major) for the rows of `x` ([n, D]).
  func encode(_ x: Tensor, count n: Int) -> [Int32] {
    let (m, k, d) = (codebooks.shape[0], codebooks.shape[1], codebooks.shape[2])
    let beam = max(1, beamWidth)
    var labels = [Int32](repeating: 0, count: n * m)
    codebooks.withUnsafeBufferPointer { cb in
      let books = cb.baseAddress!
      let norms = NearestCentroids.squaredNorms(books, count: m * k, d: d, ld: d)
      norms.withUnsafeBufferPointer { nb in
        x.withUnsafeBufferPointer { xb in
          labels.withUnsafeMutableBufferPointer { lb in
            let (xp, lp) = (xb.baseAddress!, lb.baseAddress!)
            // Rows per chunk: larger chunks make each sgemm larger (measured: greedy encoding of
            // 69,000 x 784-d vectors, 167-row to 668-row chunks: +7-12% vectors/s, at parity with
            // faiss on an idle machine; 300-d: +1-3%) while the
            // residual and distance buffers (rows x beam x max(K, D) floats) stay within 2 MiB.
            let chunk = max(1, min(1024, (1 << 19) / (beam * max(k, d))))
            Parallel.forEachChunk(count: n, chunkSize: chunk, makeScratch: { BeamScratch() }) { rows, scratch in
              let r = rows.count
              let out = lp + rows.lowerBound * m
              let errors = scratch.search(
                x: xp + rows.lowerBound * d, rows: r, beam: beam, books: books, norms: nb.baseAddress!,
                m: m, k: k, d: d, labels: out)
              guard beam > 1 else { return }
              var greedy = [Int32](repeating: 0, count: r * m)
              let greedyErrors = greedy.withUnsafeMutableBufferPointer { g in
                scratch.search(
                  x: xp + rows.lowerBound * d, rows: r, beam: 1, books: books, norms: nb.baseAddress!,
                  m: m, k: k, d: d, labels: g.baseAddress!)
              }
              for i in 0..<r where greedyErrors[i] < errors[i] {
                for b in 0..<m { out[i * m + b] = greedy[i * m + b] }
              }
            }
          }
        }
      }
    }
    return labels
  }
}

/// One worker's buffers for the beam search, grown on demand and reused across chunks.
final class BeamScratch {
  private let residuals = ScratchBuffer(), nextResiduals = ScratchBuffer(), dots = ScratchBuffer()
  private var errors: [Float] = [], nextErrors: [Float] = []
  private var codes: [Int32] = [], nextCodes: [Int32] = []
  private var bestValues: [Float] = [], bestCandidates: [Int] = []

  /// Writes the best code of each of `rows` vectors into `labels` (rows x m) and returns each
  /// code's exact squared reconstruction error.
  func search(
    x: UnsafePointer<Float>, rows: Int, beam: Int, books: UnsafePointer<Float>, norms: UnsafePointer<Float>,
    m: Int, k: Int, d: Int, labels: UnsafeMutablePointer<Int32>
  ) -> [Float] {
    var res = residuals.reserve(rows * beam * d)
    var next = nextResiduals.reserve(rows * beam * d)
    let dot = dots.reserve(rows * beam * k)
    ensure(&errors, rows * beam)
    ensure(&nextErrors, rows * beam)
    ensure(&codes, rows * beam * m)
    ensure(&nextCodes, rows * beam * m)
    ensure(&bestValues, beam)
    ensure(&bestCandidates, beam)
    // Start: one partial code per vector, the empty one, whose residual is the vector itself.
    var live = 1
    for i in 0..<rows {
      (res + i * d).update(from: x + i * d, count: d)
      errors[i] = squaredNorm(x + i * d, d)
    }
    for b in 0..<m {
      let book = books + b * k * d
      let bookNorms = norms + b * k
      // -2 r.c for every live residual (rows * live of them, contiguous) and every codeword.
      BLAS.sgemm(
        transA: false, transB: true, m: rows * live, n: k, k: d, alpha: -2, a: res, lda: d,
        b: book, ldb: d, beta: 0, c: dot, ldc: k)
      let survivors = min(beam, live * k)
      for i in 0..<rows {
        // The `survivors` smallest candidate errors, kept sorted (ties: earlier candidate first).
        var filled = 0
        for p in 0..<live {
          let base = errors[i * live + p]
          let row = dot + (i * live + p) * k
          for c in 0..<k {
            let v = base + row[c] + bookNorms[c]
            if filled == survivors && v >= bestValues[survivors - 1] { continue }
            var slot = filled == survivors ? survivors - 1 : filled
            if filled < survivors { filled += 1 }
            while slot > 0 && bestValues[slot - 1] > v {
              bestValues[slot] = bestValues[slot - 1]
              bestCandidates[slot] = bestCandidates[slot - 1]
              slot -= 1
            }
            bestValues[slot] = v
            bestCandidates[slot] = p * k + c
          }
        }
        for t in 0..<survivors {
          let (p, c) = bestCandidates[t].quotientAndRemainder(dividingBy: k)
          let src = res + (i * live + p) * d
          let dst = next + (i * survivors + t) * d
          let cw = book + c * d
          for j in 0..<d { dst[j] = src[j] - cw[j] }
          nextErrors[i * survivors + t] = squaredNorm(dst, d)
          let oldCode = (i * live + p) * m
          let newCode = (i * survivors + t) * m
          for q in 0..<b { nextCodes[newCode + q] = codes[oldCode + q] }
          nextCodes[newCode + b] = Int32(c)
        }
      }
      swap(&res, &next)
      swap(&errors, &nextErrors)
      swap(&codes, &nextCodes)
      live = survivors
    }
    var best = [Float](repeating: 0, count: rows)
    for i in 0..<rows {
      var arg = 0
      for t in 1..<max(1, live) where errors[i * live + t] < errors[i * live + arg] { arg = t }
      best[i] = errors[i * live + arg]
      for q in 0..<m { labels[i * m + q] = codes[(i * live + arg) * m + q] }
    }
    return best
  }

  private func ensure<T: Numeric>(_ a: inout [T], _ count: Int) {
    if a.count < count { a = [T](repeating: 0, count: count) }
  }
}
