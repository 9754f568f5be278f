import DPQData
import DPQTensor

extension DPQModel {
  /// Features of many inputs in evaluation mode, batch by batch, without recording a graph.
  /// `progress(done, total)` is called after each batch; `shouldStop` ends early (Ctrl-C),
  /// returning the features computed so far. `inputs` may be an `ImageSet`: its images are
  /// then decoded `batchSize` at a time.
  public func extractFeatures(
    _ inputs: any BatchSource, batchSize: Int = 500,
    progress: ((Int, Int) -> Void)? = nil,
    shouldStop: (@Sendable () -> Bool)? = nil
  ) throws -> Tensor {
    let wasTraining = isTraining
    eval()
    defer { train(wasTraining) }
    let n = inputs.itemCount
    var parts: [Tensor] = []
    var start = 0
    try Tensor.withNoGrad {
      while start < n {
        if let stop = shouldStop, stop() { break }
        let end = min(n, start + batchSize)
        parts.append(try network.features(inputs.batch(range: start..<end)))
        start = end
        progress?(start, n)
      }
    }
    if parts.isEmpty { return try Tensor.zeros([0, featureDimension]) }
    return try Tensor.concat(parts, axis: 0)
  }

  /// Hard codes of features x [n, D]: block by block, b_m = argmax_k s(r_m, c_k), r_{m+1} = r_m - c_{b_m}.
  public func encode(features x: Tensor, chunkSize: Int = 2048) throws -> Codes {
    guard x.rank == 2 && x.shape[1] == featureDimension else {
      throw QuantizationError.invalidArgument(
        op: "dpq", reason: "encode expects features of shape [n, \(featureDimension)], got \(x.shape)")
    }
    return try ProgressiveQuantization.encode(
      x, codebooks: codebooks.map { $0.value.detached() },
      similarity: configuration.similarity, chunkSize: chunkSize)
  }

  /// Codes of raw inputs (features computed in evaluation mode first).
  public func encode(
    inputs: Tensor, batchSize: Int = 500, progress: ((Int, Int) -> Void)? = nil,
    shouldStop: (@Sendable () -> Bool)? = nil
  ) throws -> Codes {
    try encode(features: extractFeatures(inputs, batchSize: batchSize, progress: progress, shouldStop: shouldStop))
  }

  /// Reconstructions sum_{m<=blocks} c_{m, b_m} of codes, [n, D].
  public func decode(_ codes: Codes, blocks: Int? = nil) throws -> Tensor {
    let used = blocks ?? codes.blockCount
    guard used >= 1 && used <= min(codes.blockCount, blockCount), codes.codewordCount == codewordCount else {
      throw QuantizationError.invalidArgument(
        op: "dpq",
        reason:
          "decode: codes have \(codes.blockCount) blocks of K=\(codes.codewordCount); the model has \(blockCount) of K=\(codewordCount); asked for \(used)"
      )
    }
    return try CodebookLayout.additive(codebooks: stackedCodebooks()).decode(codes, blocks: used, op: "dpq decode")
  }

  /// Relative distortion ||x - Xh_m||^2 / ||x||^2 over a set, for every prefix m = 1..M.
  public func relativeDistortion(features x: Tensor) throws -> [Float] {
    let codes = try encode(features: x)
    let total = x.scalars.reduce(0) { $0 + Double($1) * Double($1) }
    var out: [Float] = []
    for m in 1...blockCount {
      let r = try decode(codes, blocks: m)
      var err = 0.0
      x.withUnsafeBufferPointer { a in
        r.withUnsafeBufferPointer { b in
          for i in 0..<a.count {
            let e = Double(a[i] - b[i])
            err += e * e
          }
        }
      }
      out.append(Float(total > 0 ? err / total : 0))
    }
    return out
  }

  /// Fraction of the K codewords of each block that some item uses.
  public static func codewordUsage(_ codes: Codes) -> [Float] {
    (0..<codes.blockCount).map { m in
      var used = Set<Int>()
      for i in 0..<codes.count { used.insert(codes[i, m]) }
      return Float(used.count) / Float(codes.codewordCount)
    }
  }
}

extension DPQModel {
  /// Class queries [n, D]: for each feature row, the classifier's weight row of its predicted
  /// class. Searching reconstructions by inner product with it ranks them by their logit for that
  /// class (the bias is the same for every item), an AQD with the same lookup tables as a feature
  /// query.
  public func classQueries(features x: Tensor) throws -> Tensor {
    guard x.rank == 2 && x.shape[1] == featureDimension else {
      throw QuantizationError.invalidArgument(
        op: "dpq", reason: "class queries need features of shape [n, \(featureDimension)], got \(x.shape)")
    }
    return try Tensor.withNoGrad {
      let predicted = try network.logits(features: x).argmax(axis: 1)
      return try network.classifier.weight.value.detached().indexSelect(axis: 0, indices: predicted)
    }
  }
}
