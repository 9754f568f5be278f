import Testing

@testable import DPQTensor

/// `op(a) @ op(b)` for one pair of row-major matrices by the textbook triple loop, in Double.
private func naive(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], _ ta: Bool, _ tb: Bool) -> [Float] {
  let m = ta ? aShape[1] : aShape[0]
  let k = ta ? aShape[0] : aShape[1]
  let n = tb ? bShape[0] : bShape[1]
  var c = [Float](repeating: 0, count: m * n)
  for i in 0..<m {
    for j in 0..<n {
      var s = 0.0
      for p in 0..<k {
        let av = ta ? a[p * aShape[1] + i] : a[i * aShape[1] + p]
        let bv = tb ? b[j * bShape[1] + p] : b[p * bShape[1] + j]
        s += Double(av) * Double(bv)
      }
      c[i * n + j] = Float(s)
    }
  }
  return c
}

/// The `index`-th matrix of a rank-3 tensor, or the tensor itself when it is rank 2.
private func matrix(_ t: Tensor, _ index: Int) -> ([Float], [Int]) {
  guard t.rank == 3 else { return (t.scalars, t.shape) }
  let size = t.shape[1] * t.shape[2]
  return (Array(t.scalars[index * size..<(index + 1) * size]), Array(t.shape.suffix(2)))
}

private func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { x, y in Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y)) }
}

private let flagPairs = [(false, false), (true, false), (false, true), (true, true)]
/// (m, k, n) triples: degenerate, odd, and larger than one BLAS micro-kernel tile.
private let sizes = [(1, 1, 1), (7, 5, 3), (64, 33, 17)]

@Suite struct MatmulTests {
  @Test(arguments: flagPairs)
  func rank2MatchesNaive(ta: Bool, tb: Bool) throws {
    var rng = RandomGenerator(seed: 51)
    for (m, k, n) in sizes {
      let a = try Tensor.randomNormal(ta ? [k, m] : [m, k], using: &rng)
      let b = try Tensor.randomNormal(tb ? [n, k] : [k, n], using: &rng)
      let c = try Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
      #expect(c.shape == [m, n])
      #expect(
        close(c.scalars, naive(a.scalars, a.shape, b.scalars, b.shape, ta, tb)), "\(m)x\(k)x\(n) ta \(ta) tb \(tb)")
    }
  }

  @Test(arguments: flagPairs)
  func batchedMatchesNaive(ta: Bool, tb: Bool) throws {
    var rng = RandomGenerator(seed: 52)
    for (m, k, n) in sizes {
      for (aBatched, bBatched) in [(true, true), (true, false), (false, true)] {
        let batch = 3
        let a2 = ta ? [k, m] : [m, k]
        let b2 = tb ? [n, k] : [k, n]
        let a = try Tensor.randomNormal(aBatched ? [batch] + a2 : a2, using: &rng)
        let b = try Tensor.randomNormal(bBatched ? [batch] + b2 : b2, using: &rng)
        let c = try Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
        #expect(c.shape == [batch, m, n])
        for i in 0..<batch {
          let (av, ash) = matrix(a, i)
          let (bv, bsh) = matrix(b, i)
          let got = Array(c.scalars[i * m * n..<(i + 1) * m * n])
          #expect(
            close(got, naive(av, ash, bv, bsh, ta, tb)),
            "batch \(i) of \(a.shape) x \(b.shape) ta \(ta) tb \(tb)")
        }
      }
    }
  }

  @Test(arguments: flagPairs)
  func batchedGradients(ta: Bool, tb: Bool) throws {
    var rng = RandomGenerator(seed: 53)
    let (m, k, n) = (3, 4, 2)
    let a2 = ta ? [k, m] : [m, k]
    let b2 = tb ? [n, k] : [k, n]
    for (aBatched, bBatched) in [(true, true), (true, false), (false, true)] {
      let a = try Tensor.randomNormal(aBatched ? [2] + a2 : a2, using: &rng)
      let b = try Tensor.randomNormal(bBatched ? [2] + b2 : b2, using: &rng)
      let r = try Tensor.checkGradients(
        of: { try Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) },
        at: [a, b])
      #expect(r.maxError < 1e-2, "\(a.shape) x \(b.shape) ta \(ta) tb \(tb): \(r)")
    }
  }

  @Test func innerDimensionZeroGivesZeros() throws {
    let c = try Tensor.matmul(Tensor.zeros([2, 0]), Tensor.zeros([0, 3]))
    #expect(c.shape == [2, 3] && c.scalars == [Float](repeating: 0, count: 6))
  }

  @Test func shapeErrorsNameOpAndShapes() throws {
    #expect(throws: TensorError.shapeMismatch(op: "matmul", lhs: [2, 3], rhs: [4, 5])) {
      try Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
    }
    #expect(throws: TensorError.shapeMismatch(op: "matmul", lhs: [3, 2], rhs: [3, 2])) {
      try Tensor.matmul(Tensor.zeros([3, 2]), Tensor.zeros([3, 2]), transposeA: false, transposeB: false)
    }
    #expect(throws: TensorError.shapeMismatch(op: "matmul", lhs: [2, 3, 4], rhs: [3, 4, 5])) {
      try Tensor.matmul(Tensor.zeros([2, 3, 4]), Tensor.zeros([3, 4, 5]))
    }
    #expect(throws: TensorError.shapeMismatch(op: "matmul", lhs: [2, 3, 4], rhs: [5, 6])) {
      try Tensor.matmul(Tensor.zeros([2, 3, 4]), Tensor.zeros([5, 6]))
    }
    do {
      _ = try Tensor.matmul(Tensor([1, 2]), Tensor.zeros([2, 2]))
      Issue.record("rank-1 operand was accepted")
    } catch let e as TensorError {
      #expect(e.description.contains("matmul") && e.description.contains("[2]") && e.description.contains("[2, 2]"))
    }
    do {
      _ = try Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
    } catch let e as TensorError {
      #expect(e.description == "matmul: shapes [2, 3] and [4, 5] are not compatible")
    }
  }

  /// Large products run as two row pieces (concurrently on the engine's workers): every transpose
  /// case matches the textbook product, and the values are the same with one worker or two.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func rowPiecesOfLargeProducts(ta: Bool, tb: Bool) throws {
    var rng = RandomGenerator(seed: 61)
    let (m, k, n) = (130, 120, 140) // 2 m k n above the split threshold
    let a = try Tensor.randomNormal(ta ? [k, m] : [m, k], using: &rng)
    let b = try Tensor.randomNormal(tb ? [n, k] : [k, n], using: &rng)
    let saved = Parallel.workerLimit
    defer { Parallel.workerLimit = saved }
    var results: [[Float]] = []
    for workers in [1, 2] {
      Parallel.workerLimit = workers
      results.append(try Tensor.matmul(a, b, transposeA: ta, transposeB: tb).scalars)
    }
    #expect(results[0] == results[1])
    let expected = naive(a.scalars, a.shape, b.scalars, b.shape, ta, tb)
    #expect(zip(results[0], expected).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, abs($1)) })
  }

  /// The engine's thread policy: once dpq has run a product, OpenBLAS stays on one thread (the
  /// engine's workers split large products), whatever OPENBLAS_NUM_THREADS said.
  @Test func openBLASRunsSingleThreaded() throws {
    _ = try Tensor.matmul(Tensor.ones([4, 4]), Tensor.ones([4, 4]))
    #expect(BLAS.openBLASThreadCount == 1)
    #expect(engineThreadCount >= 1)
  }
}
