import DPQTensor

extension LabelledDataset {
  /// Synthetic data for quick experiments and tests (the language's `blobs()`): `n` points of
  /// `dimension` around one random centre per class. Centres are standard normal scaled by 2;
  /// each point is its centre plus normal noise of standard deviation `spread`; item i has class
  /// i % classes. Both buffers are refused before they are allocated when too large.
  public static func blobs(n: Int, classes: Int, dimension: Int, spread: Float = 0.5, seed: UInt64) throws
    -> LabelledDataset
  {
    guard n > 0, classes > 0, dimension > 0 else {
      throw DataError.invalidArgument(
        op: "blobs", reason: "need n, classes and dim > 0 (got \(n), \(classes), \(dimension))")
    }
    try Tensor.checkShape([classes, dimension], op: "blobs (centres)")
    try Tensor.checkShape([n, dimension], op: "blobs")
    var g = RandomGenerator(seed: seed)
    let centres = (0..<(classes * dimension)).map { _ in 2 * g.nextNormal() }
    let labels = (0..<n).map { $0 % classes }
    let x = Tensor(shape: [n, dimension]) { out in
      for i in 0..<n {
        for j in 0..<dimension { out[i * dimension + j] = centres[labels[i] * dimension + j] + spread * g.nextNormal() }
      }
    }
    return try LabelledDataset(name: "blobs", features: x, labels: labels)
  }
}
