import DPQTensor

extension CodebookLayout {
  /// Reconstructions `[n, D]` of `codes` from their first `blocks` codes (all by default): the
  /// one decode behind every quantizer, the DPQ model and the index. Additive layouts sum one
  /// codeword per block, left to right; product layouts place block m's codeword in slice m (the
  /// slices of unused blocks stay zero) and then rotate back, `X = Y R`. `op` names the caller in
  /// errors.
  public func decode(_ codes: Codes, blocks: Int? = nil, op: String = "decode") throws -> Tensor {
    let books = codebooks
    let (mk, k, dc) = (books.shape[0], books.shape[1], books.shape[2])
    let used = blocks ?? codes.blockCount
    guard codes.codewordCount == k, codes.blockCount <= mk, used >= 1, used <= codes.blockCount else {
      throw QuantizationError.codesMismatch(
        op: op, expectedBlocks: mk, expectedCodewords: k, gotBlocks: codes.blockCount, gotCodewords: codes.codewordCount
      )
    }
    let (n, m) = (codes.count, codes.blockCount)
    let additive = isAdditive
    let d = additive ? dc : mk * dc
    let labels = codes.int32Values
    let y = books.withUnsafeBufferPointer { cb in
      Tensor(shape: [n, d]) { out in
        out.initialize(repeating: 0)
        for i in 0..<n {
          let row = out.baseAddress! + i * d
          for b in 0..<used {
            let cw = cb.baseAddress! + (b * k + Int(labels[i * m + b])) * dc
            if additive {
              for j in 0..<dc { row[j] += cw[j] }
            } else {
              (row + b * dc).update(from: cw, count: dc)
            }
          }
        }
      }
    }
    guard let r = rotation, n > 0 else { return y }
    return try matrixProduct(y, r)
  }
}
