import DPQTensor

/// Validates a pooling input and returns its window geometry.
private func poolGeometry(_ layer: String, _ x: Tensor, kernel: Int, stride: Int, padding: Int) throws -> WindowGeometry
{
  guard x.rank == 4 else { throw NNError.badInput(layer: layer, expected: "an input [N, C, H, W]", shape: x.shape) }
  guard x.shape[2] + 2 * padding >= kernel, x.shape[3] + 2 * padding >= kernel else {
    throw NNError.badInput(
      layer: layer, expected: "images of at least \(kernel) x \(kernel) after padding \(padding)", shape: x.shape)
  }
  return WindowGeometry(
    batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
    kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding)
}

private func checkWindow(_ layer: String, kernel: Int, stride: Int, padding: Int) throws {
  guard kernel > 0, stride > 0, padding >= 0, padding <= kernel / 2 else {
    throw NNError.invalidArgument(
      op: layer,
      reason:
        "kernel and stride must be positive and padding at most half the kernel (got kernel \(kernel), stride \(stride), padding \(padding))"
    )
  }
}

/// Max pooling over square windows of NCHW input, as PyTorch's `nn.MaxPool2d` (padding counts
/// as minus infinity). The position of each maximum is kept for the backward pass.
public final class MaxPool2D: Module {
  public let kernelSize: Int
  public let stride: Int
  public let padding: Int

  /// Pooling with `stride` defaulting to the kernel size, as PyTorch does.
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) throws {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    try checkWindow("MaxPool2D", kernel: kernelSize, stride: self.stride, padding: padding)
    super.init()
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    let g = try poolGeometry("MaxPool2D", x, kernel: kernelSize, stride: stride, padding: padding)
    let planes = g.batch * g.channels
    let P = g.outputPlane
    let HW = g.inputPlane
    let OW = g.outputWidth
    let k = kernelSize
    let s = stride
    let p = padding
    let H = g.height
    let W = g.width
    // flat index of the maximum inside its input plane, one per output element
    var argmax = [Int32](repeating: 0, count: planes * P)
    let y = makeTensor([g.batch, g.channels, g.outputHeight, OW]) { yp in
      withValues(x) { xp in
        argmax.withUnsafeMutableBufferPointer { am in
          if k == 2 && s == 2 && p == 0 {
            let ip = am.baseAddress!
            Parallel.forEachRange(planes, grain: max(1, (1 << 18) / HW)) { range in
              maxPool2x2(
                xp + range.lowerBound * HW, yp + range.lowerBound * P, ip + range.lowerBound * P,
                planes: range.count, geometry: g)
            }
            return
          }
          for plane in 0..<planes {
            let src = xp + plane * HW
            let dst = yp + plane * P
            let idx = am.baseAddress! + plane * P
            for oy in 0..<g.outputHeight {
              let y0 = max(0, oy * s - p)
              let y1 = min(H, oy * s - p + k)
              for ox in 0..<OW {
                let x0 = max(0, ox * s - p)
                let x1 = min(W, ox * s - p + k)
                var best = -Float.infinity
                var at = y0 * W + x0
                for iy in y0..<y1 {
                  let row = src + iy * W
                  for ix in x0..<x1 where row[ix] > best || row[ix].isNaN {
                    best = row[ix]
                    at = iy * W + ix
                  }
                }
                dst[oy * OW + ox] = best
                idx[oy * OW + ox] = Int32(at)
              }
            }
          }
        }
      }
    }
    let indices = argmax
    let shape = x.shape
    return Tensor.record(y, op: "maxpool2d", inputs: [x]) { gy in
      [
        makeZeroedTensor(shape) { dx in
          withValues(gy) { gp in
            indices.withUnsafeBufferPointer { am in
              let ip = am.baseAddress!
              Parallel.forEachRange(planes, grain: max(1, (1 << 18) / HW)) { range in
                for plane in range {
                  let d = dx + plane * HW
                  let src = gp + plane * P
                  let idx = ip + plane * P
                  for q in 0..<P { d[Int(idx[q])] += src[q] }
                }
              }
            }
          }
        }
      ]
    }
  }
}

/// The common 2 x 2, stride 2 case, four outputs at a time with SIMD selects: on real data the
/// comparisons are unpredictable, and as branches their mispredictions dominated the layer.
private func maxPool2x2(
  _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ index: UnsafeMutablePointer<Int32>,
  planes: Int, geometry g: WindowGeometry
) {
  let W = g.width
  let OW = g.outputWidth
  let OH = g.outputHeight
  let HW = g.inputPlane
  let P = g.outputPlane
  let lanes = SIMD4<Int32>(0, 2, 4, 6)
  let right = SIMD4<Int32>(repeating: 1)
  let below = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: W))
  let belowRight = below &+ 1
  for plane in 0..<planes {
    let src = x + plane * HW
    let dst = y + plane * P
    let idx = index + plane * P
    for oy in 0..<OH {
      let r0 = src + 2 * oy * W
      let r1 = r0 + W
      let base = 2 * oy * W
      var ox = 0
      while ox + 4 <= OW {
        let top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
        let bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
        let a = top.evenHalf
        let b = top.oddHalf
        let c = bottom.evenHalf
        let d = bottom.oddHalf
        // ties keep the first in row-major order, as PyTorch
        let tb = b .> a
        var best = a.replacing(with: b, where: tb)
        var at = SIMD4<Int32>(repeating: 0).replacing(with: right, where: tb)
        let tc = c .> best
        best.replace(with: c, where: tc)
        at.replace(with: below, where: tc)
        let td = d .> best
        best.replace(with: d, where: td)
        at.replace(with: belowRight, where: td)
        UnsafeMutableRawPointer(dst + oy * OW + ox).storeBytes(of: best, as: SIMD4<Float>.self)
        let offset = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: base + 2 * ox)) &+ lanes &+ at
        UnsafeMutableRawPointer(idx + oy * OW + ox).storeBytes(of: offset, as: SIMD4<Int32>.self)
        ox += 4
      }
      var hasNaN = false
      for i in 0..<(2 * OW) where r0[i].isNaN || r1[i].isNaN { hasNaN = true }
      // the tail, and rows with a NaN, by PyTorch's rule (a later value wins if greater or NaN)
      for ox in (hasNaN ? 0 : ox)..<OW {
        var best = -Float.infinity
        var at = base + 2 * ox
        for k in 0..<4 {
          let offset = (k & 1) + (k >> 1) * W
          let v = src[base + 2 * ox + offset]
          if v > best || v.isNaN {
            best = v
            at = base + 2 * ox + offset
          }
        }
        dst[oy * OW + ox] = best
        idx[oy * OW + ox] = Int32(truncatingIfNeeded: at)
      }
    }
  }
}

/// Average pooling over square windows of NCHW input, as PyTorch's `nn.AvgPool2d` with its
/// defaults (zero padding counted in the average). A composite of primitives: windows that tile
/// the input are a reshape and a mean; otherwise the k x k taps (strided slices of the
/// zero-padded input) are added in row-major order and scaled by 1 / k^2. `dpq bench fused`
/// measured the kernel this replaced at 0.79x the reshape-and-mean composite.
public final class AvgPool2D: Module {
  public let kernelSize: Int
  public let stride: Int
  public let padding: Int

  /// Pooling with `stride` defaulting to the kernel size, as PyTorch does.
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) throws {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    try checkWindow("AvgPool2D", kernel: kernelSize, stride: self.stride, padding: padding)
    super.init()
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    let g = try poolGeometry("AvgPool2D", x, kernel: kernelSize, stride: stride, padding: padding)
    let (n, c, h, w) = (g.batch, g.channels, g.height, g.width)
    let (k, s, p) = (kernelSize, stride, padding)
    let (oh, ow) = (g.outputHeight, g.outputWidth)
    if s == k, p == 0, h % k == 0, w % k == 0 {
      return try x.reshaped([n, c, oh, k, ow, k]).mean(axes: [3, 5]).labelled("avgpool2d", inputs: [x])
    }
    var padded = x
    if p > 0 {
      let rows = try Tensor.zeros([n, c, p, w])
      padded = try Tensor.concat([rows, x, rows], axis: 2)
      let columns = try Tensor.zeros([n, c, h + 2 * p, p])
      padded = try Tensor.concat([columns, padded, columns], axis: 3)
    }
    var total: Tensor? = nil
    for i in 0..<k {
      for j in 0..<k {
        let tap = try padded.sliced([
          .all, .all, .range(start: i, end: i + (oh - 1) * s + 1, step: s),
          .range(start: j, end: j + (ow - 1) * s + 1, step: s),
        ])
        total = try total.map { try $0 + tap } ?? tap
      }
    }
    guard let total else { throw NNError.invalidArgument(op: "AvgPool2D", reason: "empty window") }
    return try (total * (1 / Float(k * k))).labelled("avgpool2d", inputs: [x])
  }
}
