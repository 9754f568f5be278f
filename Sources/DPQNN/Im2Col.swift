/// The geometry of a 2-D convolution or pooling window over NCHW input, and the im2col / col2im
/// kernels that turn convolution into one matrix product.

struct WindowGeometry {
  let batch: Int, channels: Int, height: Int, width: Int
  let kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int
  let outputHeight: Int, outputWidth: Int

  init(
    batch: Int, channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
    stride: Int, padding: Int
  ) {
    self.batch = batch
    self.channels = channels
    self.height = height
    self.width = width
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.stride = stride
    self.padding = padding
    outputHeight = (height + 2 * padding - kernelHeight) / stride + 1
    outputWidth = (width + 2 * padding - kernelWidth) / stride + 1
  }

  /// Rows of the column matrix: one per (channel, kernel row, kernel column).
  var patchSize: Int { channels * kernelHeight * kernelWidth }
  /// Output positions per image and channel.
  var outputPlane: Int { outputHeight * outputWidth }
  var inputPlane: Int { height * width }

  /// The output columns `ox` whose input column `ox * stride - padding + kj` lies inside the image.
  @inline(__always)
  func validColumns(_ kj: Int) -> Range<Int> {
    let lo = max(0, (padding - kj + stride - 1) / stride)
    let last = width - 1 + padding - kj // ox * stride <= last
    let hi = last < 0 ? 0 : min(outputWidth, last / stride + 1)
    return lo < hi ? lo..<hi : 0..<0
  }

  /// Writes the column matrix of images `first..<first + count` of `x` into `cols`:
  /// `cols[(c * kh + ki) * kw + kj, img * P + oy * OW + ox] = x[first + img, c, oy*s - p + ki, ox*s - p + kj]`
  /// (zero in the padding), a `patchSize x (count * P)` row-major matrix.
  func im2col(_ x: UnsafePointer<Float>, first: Int, count: Int, into cols: UnsafeMutablePointer<Float>) {
    let P = outputPlane
    let ld = count * P
    let OW = outputWidth
    let s = stride
    let p = padding
    for c in 0..<channels {
      for ki in 0..<kernelHeight {
        for kj in 0..<kernelWidth {
          let row = cols + ((c * kernelHeight + ki) * kernelWidth + kj) * ld
          let valid = validColumns(kj)
          for img in 0..<count {
            let src = x + ((first + img) * channels + c) * inputPlane
            let dstImage = row + img * P
            for oy in 0..<outputHeight {
              let d = dstImage + oy * OW
              let iy = oy * s - p + ki
              if iy < 0 || iy >= height {
                for ox in 0..<OW { d[ox] = 0 }
                continue
              }
              let srow = src + iy * width - p + kj
              for ox in 0..<valid.lowerBound { d[ox] = 0 }
              if s == 1 {
                copyRow(d + valid.lowerBound, srow + valid.lowerBound, valid.count)
              } else {
                for ox in valid { d[ox] = srow[ox * s] }
              }
              for ox in valid.upperBound..<OW { d[ox] = 0 }
            }
          }
        }
      }
    }
  }

  /// Adds the column matrix `cols` (laid out as `im2col` writes it) back onto the images
  /// `first..<first + count` of `dx`, the adjoint of `im2col`.
  func col2im(_ cols: UnsafePointer<Float>, first: Int, count: Int, into dx: UnsafeMutablePointer<Float>) {
    let P = outputPlane
    let ld = count * P
    let OW = outputWidth
    let s = stride
    let p = padding
    for c in 0..<channels {
      for ki in 0..<kernelHeight {
        for kj in 0..<kernelWidth {
          let row = cols + ((c * kernelHeight + ki) * kernelWidth + kj) * ld
          let valid = validColumns(kj)
          for img in 0..<count {
            let dst = dx + ((first + img) * channels + c) * inputPlane
            let srcImage = row + img * P
            for oy in 0..<outputHeight {
              let iy = oy * s - p + ki
              if iy < 0 || iy >= height { continue }
              let d = dst + iy * width - p + kj
              let srow = srcImage + oy * OW
              if s == 1 {
                addRow(d + valid.lowerBound, srow + valid.lowerBound, valid.count)
              } else {
                for ox in valid { d[ox * s] += srow[ox] }
              }
            }
          }
        }
      }
    }
  }
}

/// Copies a short row: SIMD chunks of 8 and a scalar tail. Rows are 8 to 28 floats here, where a
/// memmove call or a vectorised loop's runtime checks cost more than the copy itself.
@inline(__always)
func copyRow(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int) {
  var i = 0
  while i + 8 <= n {
    UnsafeMutableRawPointer(d + i).storeBytes(
      of: UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
    i += 8
  }
  while i < n {
    d[i] = s[i]
    i += 1
  }
}

/// Adds a short row onto another (see `copyRow`).
@inline(__always)
func addRow(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int) {
  var i = 0
  while i + 8 <= n {
    let sum =
      UnsafeRawPointer(d + i).loadUnaligned(as: SIMD8<Float>.self)
      + UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(d + i).storeBytes(of: sum, as: SIMD8<Float>.self)
    i += 8
  }
  while i < n {
    d[i] += s[i]
    i += 1
  }
}
