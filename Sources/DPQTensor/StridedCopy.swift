/// The copy engine behind permute, expand, slicing and slice assignment: storage is always
/// contiguous, so each of these ops is one walk that reads one strided layout and writes another.

enum StridedCopy {
  /// Side of a tile in the blocked path: 32 x 32 floats keep both the rows read and the rows
  /// written in L1 while a transposed tile is copied.
  private static let tile = 32

  /// For every multi-index `i` of `shape`: `dst[dstOffset + sum(i * dstStrides)] = src[srcOffset + sum(i * srcStrides)]`.
  ///
  /// Axes of size 1 are dropped and axes that are contiguous on both sides are merged first, so a
  /// slice of whole rows becomes one block copy and a permutation that keeps the last axis copies
  /// runs of it. When the innermost axis is strided on one side but another axis is unit-stride
  /// there (a transpose), the two axes are copied in tiles so both sides stay cache-friendly.
  /// Strides may be 0 on the source (broadcasting); destination positions must be distinct.
  static func copy(
    shape: [Int],
    from src: UnsafePointer<Float>, srcOffset: Int = 0, srcStrides: [Int],
    to dst: UnsafeMutablePointer<Float>, dstOffset: Int = 0, dstStrides: [Int]
  ) {
    if shape.contains(0) { return }
    // drop unit axes, then merge axis k into k+1 when both layouts step over it as one run
    var n: [Int] = []
    var ss: [Int] = []
    var ds: [Int] = []
    for k in shape.indices where shape[k] != 1 {
      if let last = n.last, ss[ss.count - 1] == srcStrides[k] * shape[k], ds[ds.count - 1] == dstStrides[k] * shape[k] {
        n[n.count - 1] = last * shape[k]
        ss[ss.count - 1] = srcStrides[k]
        ds[ds.count - 1] = dstStrides[k]
      } else {
        n.append(shape[k])
        ss.append(srcStrides[k])
        ds.append(dstStrides[k])
      }
    }
    let r = n.count
    if r == 0 {
      dst[dstOffset] = src[srcOffset]
      return
    }
    let inner = r - 1
    // a transpose-like layout: tile the innermost axis with the axis that is unit-stride on the other side
    if r >= 2 && (ds[inner] == 1) != (ss[inner] == 1) {
      let p = ds[inner] == 1 ? ss.firstIndex(of: 1) : ds.firstIndex(of: 1)
      if let p, p != inner, n[p] >= 8, n[inner] >= 8 {
        tiled(n: n, ss: ss, ds: ds, p: p, src: src, srcOffset: srcOffset, dst: dst, dstOffset: dstOffset)
        return
      }
    }
    let len = n[inner]
    let si = ss[inner]
    let di = ds[inner]
    forEachOuter(n: n, ss: ss, ds: ds, skipping: [inner], srcOffset: srcOffset, dstOffset: dstOffset) { so, dOff in
      if si == 1 && di == 1 {
        (dst + dOff).update(from: src + so, count: len)
      } else if si == 0 {
        let v = src[so]
        for j in 0..<len { dst[dOff + j * di] = v }
      } else {
        for j in 0..<len { dst[dOff + j * di] = src[so + j * si] }
      }
    }
  }

  /// Copies axes `p` and the innermost axis in square tiles for every position of the other axes.
  private static func tiled(
    n: [Int], ss: [Int], ds: [Int], p: Int,
    src: UnsafePointer<Float>, srcOffset: Int,
    dst: UnsafeMutablePointer<Float>, dstOffset: Int
  ) {
    let inner = n.count - 1
    let rows = n[p]
    let cols = n[inner]
    let sr = ss[p]
    let sc = ss[inner]
    let dr = ds[p]
    let dc = ds[inner]
    forEachOuter(n: n, ss: ss, ds: ds, skipping: [p, inner], srcOffset: srcOffset, dstOffset: dstOffset) { so, dOff in
      var i0 = 0
      while i0 < rows {
        let i1 = Swift.min(i0 + tile, rows)
        var j0 = 0
        while j0 < cols {
          let j1 = Swift.min(j0 + tile, cols)
          for i in i0..<i1 {
            let s = src + so + i * sr
            let d = dst + dOff + i * dr
            for j in j0..<j1 { d[j * dc] = s[j * sc] }
          }
          j0 = j1
        }
        i0 = i1
      }
    }
  }

  /// Calls `body(srcOffset, dstOffset)` for every position of the axes not in `skipping`
  /// (an odometer over those axes, last axis fastest).
  @inline(__always)
  private static func forEachOuter(
    n: [Int], ss: [Int], ds: [Int], skipping: [Int],
    srcOffset: Int, dstOffset: Int, _ body: (Int, Int) -> Void
  ) {
    let axes = n.indices.filter { !skipping.contains($0) }
    let m = axes.count
    if m == 0 {
      body(srcOffset, dstOffset)
      return
    }
    let dims = axes.map { n[$0] }
    let sst = axes.map { ss[$0] }
    let dst = axes.map { ds[$0] }
    var idx = [Int](repeating: 0, count: m)
    var so = srcOffset
    var dOff = dstOffset
    while true {
      body(so, dOff)
      var d = m - 1
      while d >= 0 {
        idx[d] += 1
        so += sst[d]
        dOff += dst[d]
        if idx[d] < dims[d] { break }
        so -= sst[d] * idx[d]
        dOff -= dst[d] * idx[d]
        idx[d] = 0
        d -= 1
      }
      if d < 0 { return }
    }
  }
}
