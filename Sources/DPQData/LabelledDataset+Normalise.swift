import DPQTensor

/// Per-channel statistics and normalisation. The channel axis is axis 1 of the features: the
/// colour channel of `[n, c, h, w]` images, each dimension of `[n, d]` vectors.
extension LabelledDataset {
  /// Number of channels (size of axis 1).
  public var channelCount: Int { features.shape[1] }

  /// Mean and (population) standard deviation of each channel over all items and positions,
  /// accumulated in Double so large datasets do not lose precision.
  public func channelStatistics() -> (mean: [Float], std: [Float]) {
    let channels = channelCount
    let spatial = channels == 0 ? 0 : itemSize / channels
    var sum = [Double](repeating: 0, count: channels)
    var sumSquares = [Double](repeating: 0, count: channels)
    features.withUnsafeBufferPointer { x in
      var p = 0
      for _ in 0..<count {
        for c in 0..<channels {
          var s = 0.0
          var s2 = 0.0
          for k in 0..<spatial {
            let v = Double(x[p + k])
            s += v
            s2 += v * v
          }
          sum[c] += s
          sumSquares[c] += s2
          p += spatial
        }
      }
    }
    let n = Double(count * spatial)
    guard n > 0 else { return ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels)) }
    let mean = sum.map { $0 / n }
    let std = zip(sumSquares, mean).map { ($0 / n - $1 * $1).magnitude.squareRoot() }
    return (mean.map(Float.init), std.map(Float.init))
  }

  /// `(x - mean[c]) / std[c]` for every channel c; one value in `mean` or `std` applies to all.
  /// A channel that never varies has std 0: pass 1 for it.
  public func normalised(mean: [Float], std: [Float]) throws -> LabelledDataset {
    let op = "normalised"
    let channels = channelCount
    guard mean.count == channels || mean.count == 1, std.count == channels || std.count == 1 else {
      throw DataError.invalidArgument(
        op: op, reason: "need 1 or \(channels) means and standard deviations, got \(mean.count) and \(std.count)")
    }
    if let bad = std.first(where: { !($0 > 0) || !$0.isFinite }) {
      throw DataError.invalidArgument(op: op, reason: "standard deviations must be positive and finite, got \(bad)")
    }
    if let bad = mean.first(where: { !$0.isFinite }) {
      throw DataError.invalidArgument(op: op, reason: "means must be finite, got \(bad)")
    }
    let spatial = channels == 0 ? 0 : itemSize / channels
    let n = count
    let source = features
    let scaled = Tensor(shape: features.shape) { out in
      source.withUnsafeBufferPointer { x in
        var p = 0
        for _ in 0..<n {
          for c in 0..<channels {
            let m = mean.count == 1 ? mean[0] : mean[c]
            let inverse = 1 / (std.count == 1 ? std[0] : std[c])
            for k in p..<p + spatial { out[k] = (x[k] - m) * inverse }
            p += spatial
          }
        }
      }
    }
    return try withFeatures(scaled)
  }
}
