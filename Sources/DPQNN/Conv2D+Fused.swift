import CKernels
import DPQTensor

/// Convolution, ReLU and 2 x 2 max pooling as one op (LeNet's `conv, relu, pool` stages), on the
/// direct kernels: the convolution's output stays in a per-image scratch buffer, so neither it
/// nor the ReLU's output is written out, and the backward pass scatters the pooled gradient
/// straight into the convolution's output gradient. `Sequential` uses it for the layer triple
/// when `Conv2D.fusesReLUMaxPool` and the shapes allow; values and gradients are bit for bit
/// those of the three layers on the direct kernels.
extension Conv2D {
  /// Whether `Sequential` fuses `Conv2D, ReLU, MaxPool2D(2)` (on by default where the direct
  /// kernels run; `DPQ_CONV_KERNEL=im2col` turns both off).
  nonisolated(unsafe) public static var fusesReLUMaxPool = true

  /// Whether this layer, followed by ReLU and `pool`, can run as the fused op on `x`.
  func canFuseReLU(_ pool: MaxPool2D, on x: Tensor) -> Bool {
    guard Conv2D.fusesReLUMaxPool, Conv2D.usesDirectKernels, dpq_have_avx512() == 1,
      stride == 1, padding == 0, outputChannels % 16 == 0,
      pool.kernelSize == 2, pool.stride == 2, pool.padding == 0,
      x.rank == 4, x.shape[0] > 0, x.shape[1] == inputChannels
    else { return false }
    let oh = x.shape[2] - kernelSize + 1
    let ow = x.shape[3] - kernelSize + 1
    return oh >= 2 && ow >= 2 && oh % 2 == 0 && ow % 2 == 0
  }

  /// `pool(relu(conv(x)))` as one op; the caller checked `canFuseReLU`.
  func forwardReLUMaxPool(_ x: Tensor) throws -> Tensor {
    try OpProfiler.measure("Conv2D+ReLU+MaxPool2D \(inputChannels)->\(outputChannels) forward (fused)") {
      try Conv2D.convolveReLUMaxPool(x, weight: weight.value, bias: bias?.value, scratch: scratch)
    }
  }

  /// The fused op as a differentiable function of input, weight and bias (stride 1, no padding,
  /// output channels a multiple of 16, even output sides).
  static func convolveReLUMaxPool(
    _ x: Tensor, weight w: Tensor, bias b: Tensor?,
    scratch: ConvolutionScratch
  ) throws -> Tensor {
    let N = x.shape[0]
    let O = w.shape[0]
    let K = w.count / O
    let g = WindowGeometry(
      batch: N, channels: x.shape[1], height: x.shape[2], width: x.shape[3],
      kernelHeight: w.shape[2], kernelWidth: w.shape[3], stride: 1, padding: 0)
    let P = g.outputPlane
    let Q = P / 4
    let convShape = [N, O, g.outputHeight, g.outputWidth]
    let outShape = [N, O, g.outputHeight / 2, g.outputWidth / 2]
    try Tensor.checkShape(convShape, op: "conv2d")
    var shape = dpq_conv_shape(
      channels: Int32(g.channels), height: Int32(g.height), width: Int32(g.width),
      out_channels: Int32(O), kernel_h: Int32(g.kernelHeight), kernel_w: Int32(g.kernelWidth),
      out_h: Int32(g.outputHeight), out_w: Int32(g.outputWidth))
    let workers = Parallel.count(for: N)
    scratch.prepare(workers: workers)
    let packed = scratch.packedWeight.reserve(K * O)
    withValues(w) { wp in dpq_conv_pack_weight(wp, packed, &shape) }
    let s = shape
    // every element is written by the kernel
    var indices = [Int32](unsafeUninitializedCapacity: N * O * Q) { _, n in n = N * O * Q }
    let y = makeTensor(outShape) { yp in
      withValues(x) { xp in
        withOptionalValues(b) { bp in
          indices.withUnsafeMutableBufferPointer { ip in
            let ibase = ip.baseAddress!
            Parallel.run(workers) { worker in
              let images = split(N, worker, workers)
              let buffer = scratch.product[worker].reserve(P * O + 2 * Q * O)
              var local = s
              dpq_conv_forward_relu_pool_avx512(
                xp, packed, bp, yp, ibase, Int32(images.lowerBound), Int32(images.count),
                &local, buffer)
            }
          }
        }
      }
    }
    let xd = x.detached()
    let wd = w.detached()
    let at = indices
    let needX = x.requiresGrad
    let needW = w.requiresGrad
    let needB = b?.requiresGrad ?? false
    return Tensor.record(y, op: "conv2d_relu_maxpool", inputs: b.map { [x, w, $0] } ?? [x, w]) { gp in
      var local = s
      // the gradient at the convolution's output, transposed for the weight kernel and, when the
      // input needs a gradient, also in [image, channel, position] for the input kernel
      let gyt = scratch.transposedGradient.reserve(N * P * O)
      let gy = needX ? scratch.unpooledGradient.reserve(N * O * P) : nil
      withValues(gp) { gpp in
        at.withUnsafeBufferPointer { ip in
          let ibase = ip.baseAddress!
          Parallel.forEachPiece(workers) { piece in
            let images = split(N, piece, workers)
            var l = s
            dpq_conv_unpool_transposed(gpp, ibase, gyt, Int32(images.lowerBound), Int32(images.count), &l)
            if let gy { dpq_conv_unpool(gpp, ibase, gy, Int32(images.lowerBound), Int32(images.count), &l) }
          }
        }
      }
      let (dw, db) =
        needW || needB
        ? OpProfiler.measure("conv2d backward: weight and bias gradients (direct)") {
          directParameterGradients(
            transposed: gyt, xd, needW: needW, needB: needB, weightShape: wd.shape, &local, scratch)
        }
        : (nil, nil)
      let dx = gy.map { gy in
        OpProfiler.measure("conv2d backward: input gradient (direct + col2im)") {
          makeTensor(x.shape) { dxp in directInputGradient(gy, wd, dxp, g: g, &local, scratch) }
        }
      }
      return b == nil ? [dx, dw] : [dx, dw, db]
    }
  }
}
