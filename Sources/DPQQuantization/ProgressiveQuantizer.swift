import DPQTensor

/// The quantization blocks of DPQ: M codebooks of K full-dimensional codewords applied to
/// successive residuals (PAPER.md, Model). Composed from differentiable tensor primitives, so the
/// soft and hard quantizations and every loss need no gradient code of their own.
public enum ProgressiveQuantization {
  /// One block applied to a batch of residuals.
  public struct BlockOutput {
    /// Soft quantization q_s = sum_k softmax(gamma * s)_k c_k, [B, D].
    public let soft: Tensor
    /// Hard quantization q_h = c_{b}, [B, D].
    public let hard: Tensor
    /// Hard codes b = argmax_k s_k, one per row.
    public let codes: [Int]
  }

  /// Similarities s [B, K] between residuals r [B, D] and codewords C [K, D].
  /// For squared L2 the per-row constant -||r||^2 is dropped: softmax and argmax ignore it, and so
  /// does its gradient.
  public static func similarity(_ r: Tensor, _ codebook: Tensor, kind: Similarity) throws -> Tensor {
    switch kind {
    case .innerProduct:
      return try Tensor.matmul(r, codebook, transposeB: true)
    case .negativeSquaredL2:
      let cross = try Tensor.matmul(r, codebook, transposeB: true) * 2
      let norms = try codebook.square().sum(axes: [1]).reshaped([1, -1])
      return try cross - norms
    case .cosine:
      return try Tensor.matmul(normalisedRows(r), normalisedRows(codebook), transposeB: true)
    }
  }

  /// Rows scaled to unit length (a small epsilon keeps zero rows finite).
  static func normalisedRows(_ x: Tensor) throws -> Tensor {
    let norm = try (x.square().sum(axes: [1], keepDims: true) + 1e-12).sqrt()
    return try x / norm
  }

  /// Soft and hard quantization of `r` with one codebook.
  public static func quantize(_ r: Tensor, codebook: Tensor, similarity kind: Similarity, gamma: Float) throws
    -> BlockOutput
  {
    let s = try similarity(r, codebook, kind: kind)
    let p = try (s * gamma).softmax(axis: 1)
    let soft = try Tensor.matmul(p, codebook)
    let codes = try s.argmax(axis: 1)
    let hard = try codebook.indexSelect(axis: 0, indices: codes)
    return BlockOutput(soft: soft, hard: hard, codes: codes)
  }

  /// Hard codes of x [n, D], block by block: b_m = argmax_k s(r_m, c_k), r_{m+1} = r_m - c_{b_m}
  /// (chunks of rows bound the memory of the similarity matrices).
  public static func encode(_ x: Tensor, codebooks books: [Tensor], similarity kind: Similarity, chunkSize: Int = 2048)
    throws -> Codes
  {
    let n = x.shape[0]
    var codes = try Codes(count: n, blockCount: books.count, codewordCount: books.first?.shape[0] ?? 1)
    try Tensor.withNoGrad {
      var start = 0
      while start < n {
        let end = min(n, start + chunkSize)
        var residual = try x.slice(axis: 0, range: start..<end)
        for (m, c) in books.enumerated() {
          let b = try similarity(residual, c, kind: kind).argmax(axis: 1)
          for (i, code) in b.enumerated() { codes[start + i, m] = code }
          if m + 1 < books.count { residual = try residual - c.indexSelect(axis: 0, indices: b) }
        }
        start = end
      }
    }
    return codes
  }

  /// Residual k-means codebooks for x [n, D]: block m is k-means (seed `seed + m`, `iterations`
  /// Lloyd steps on at most `maxPointsPerCentroid` rows a centroid) of what blocks 1..m-1 left,
  /// each row taking its nearest codeword. DPQ's codebook start (PAPER.md) and RQ's training.
  /// `progress(block, iteration, objective)` follows each k-means; `stopped` says a stop request
  /// cut one short.
  public static func residualKMeans(
    _ x: Tensor, blocks: Int, codewords: Int, seed: UInt64, iterations: Int = 20,
    maxPointsPerCentroid: Int? = 256,
    shouldStop: (@Sendable () -> Bool)? = nil,
    progress: ((Int, Int, Double) -> Void)? = nil
  ) throws -> (codebooks: [Tensor], stopped: Bool) {
    let (n, d) = (x.shape[0], x.shape[1])
    var residual = x.detached()
    var books: [Tensor] = []
    var stopped = false
    for m in 0..<blocks {
      let kmeans = KMeans(
        k: codewords, iterations: iterations, seed: seed &+ UInt64(m), maxPointsPerCentroid: maxPointsPerCentroid)
      let result = try kmeans.fit(residual, shouldStop: shouldStop) { it, objective in
        progress?(m, it, objective)
      }
      if result.stopped { stopped = true }
      let centroids = result.centroids
      books.append(centroids)
      // The next block sees what this one leaves: each residual minus its nearest codeword.
      let labels = try residual.nearestRows(of: centroids).labels
      centroids.withUnsafeBufferPointer { c in
        residual.withUnsafeMutableBufferPointer { r in
          for i in 0..<n {
            let row = r.baseAddress! + i * d
            let cw = c.baseAddress! + labels[i] * d
            for j in 0..<d { row[j] -= cw[j] }
          }
        }
      }
    }
    return (books, stopped)
  }

  /// The outputs of all M blocks on features x [B, D].
  public struct Output {
    /// Prefix reconstructions Xs_m = sum_{i<=m} q_s^i, m = 1..M.
    public var softReconstructions: [Tensor] = []
    /// Prefix reconstructions Xh_m = sum_{i<=m} q_h^i.
    public var hardReconstructions: [Tensor] = []
    /// Codes per block, each of length B.
    public var codes: [[Int]] = []
  }

  /// Runs the blocks: r_1 = x, r_{m+1} = r_m - q_h^m.
  public static func forward(_ x: Tensor, codebooks: [Tensor], similarity kind: Similarity, gamma: Float) throws
    -> Output
  {
    var out = Output()
    var residual = x
    var xs: Tensor? = nil
    var xh: Tensor? = nil
    for c in codebooks {
      let b = try quantize(residual, codebook: c, similarity: kind, gamma: gamma)
      xs = try xs.map { try $0 + b.soft } ?? b.soft
      xh = try xh.map { try $0 + b.hard } ?? b.hard
      out.softReconstructions.append(xs!)
      out.hardReconstructions.append(xh!)
      out.codes.append(b.codes)
      residual = try residual - b.hard
    }
    return out
  }

  /// The quantization losses of PAPER.md: L_soft = sum_m mean((x - Xs_m)^2),
  /// L_hard = sum_m mean((x - Xh_m)^2), L_joint = mean((Xs_M - Xh_M)^2).
  public struct Losses {
    public let soft: Tensor
    public let hard: Tensor
    public let joint: Tensor
  }

  public static func losses(features x: Tensor, _ o: Output) throws -> Losses {
    var soft = Tensor(scalar: 0)
    var hard = Tensor(scalar: 0)
    for (s, h) in zip(o.softReconstructions, o.hardReconstructions) {
      soft = try soft + (x - s).square().mean()
      hard = try hard + (x - h).square().mean()
    }
    guard let s = o.softReconstructions.last, let h = o.hardReconstructions.last else {
      throw QuantizationError.invalidArgument(op: "dpq", reason: "the model has no quantization blocks")
    }
    return Losses(soft: soft, hard: hard, joint: try (s - h).square().mean())
  }
}
