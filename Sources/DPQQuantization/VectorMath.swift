/// Small vector kernels with explicit SIMD accumulators: Swift does not reassociate Float sums,
/// so a plain loop would run one add at a time.

/// `||a - b||^2` over `d` floats.
@inline(__always)
func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
  var acc = SIMD8<Float>.zero
  var j = 0
  while j + 8 <= d {
    let t = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
          - UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
    acc += t * t
    j += 8
  }
  var s = acc.sum()
  while j < d { let t = a[j] - b[j]; s += t * t; j += 1 }
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
  while j < d { s += a[j] * a[j]; j += 1 }
  return s
}
