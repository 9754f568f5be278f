import DPQTensor

/// Small vector kernels with explicit SIMD accumulators: Swift does not reassociate Float sums,
/// so a plain loop would run one add at a time.

/// `||a - b||^2` over `d` floats.
@inline(__always)
func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
  var acc = SIMD8<Float>.zero
  var j = 0
  while j + 8 <= d {
    let t =
      UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
      - UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
    acc += t * t
    j += 8
  }
  var s = acc.sum()
  while j < d {
    let t = a[j] - b[j]
    s += t * t
    j += 1
  }
  return s
}

/// `||a||^2` over `d` floats.
@inline(__always)
func squaredNorm(_ a: UnsafePointer<Float>, _ d: Int) -> Float {
  var acc = SIMD8<Float>.zero
  var j = 0
  while j + 8 <= d {
    let t = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
    acc += t * t
    j += 8
  }
  var s = acc.sum()
  while j < d {
    s += a[j] * a[j]
    j += 1
  }
  return s
}

/// `op(a) @ op(b)` for rank-2 tensors straight through sgemm, recording no autodiff graph.
/// Quantizers call this from any thread; `Tensor.withNoGrad` toggles a process-wide counter
/// meant for one training thread, so it is not used here.
func matrixProduct(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
  guard a.rank == 2, b.rank == 2 else {
    throw QuantizationError.invalidShape(
      op: "matrix product", shape: a.rank == 2 ? b.shape : a.shape, expected: "a matrix")
  }
  let (m, ka) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
  let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
  guard ka == kb else { throw QuantizationError.dimensionMismatch(op: "matrix product", expected: ka, got: kb) }
  return a.withUnsafeBufferPointer { ap in
    b.withUnsafeBufferPointer { bp in
      Tensor(shape: [m, n]) { out in
        if ka == 0 {
          out.initialize(repeating: 0)
          return
        }
        BLAS.sgemm(
          transA: transposeA, transB: transposeB, m: m, n: n, k: ka, a: ap.baseAddress!, lda: a.shape[1],
          b: bp.baseAddress!, ldb: b.shape[1], c: out.baseAddress!)
      }
    }
  }
}
