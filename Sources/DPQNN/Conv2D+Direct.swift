import CKernels
import DPQTensor

/// Conv2D's passes on the direct AVX-512 kernels (CKernels): the forward pass, the weight and
/// bias gradients and the input gradient, each spread over the workers so that every output
/// element is computed the same way whatever the thread count. `Conv2D.convolve` and the fused
/// `convolveReLUMaxPool` call them; `Conv2D.usesDirectKernels` says when.
extension Conv2D {
  /// The forward pass with the direct kernel: images split over the workers (each output is
  /// computed the same way whatever the split).
  static func directForward(
    _ x: Tensor, _ w: Tensor, _ b: Tensor?, _ outShape: [Int], _ shape: inout dpq_conv_shape,
    _ scratch: ConvolutionScratch
  ) -> Tensor {
    let N = outShape[0]
    let O = outShape[1]
    let P = outShape[2] * outShape[3]
    let K = w.count / O
    let workers = Parallel.count(for: N)
    scratch.prepare(workers: workers)
    let packed = scratch.packedWeight.reserve(K * O)
    withValues(w) { wp in withUnsafePointer(to: &shape) { dpq_conv_pack_weight(wp, packed, $0) } }
    let s = shape
    return makeTensor(outShape) { yp in
      withValues(x) { xp in
        withOptionalValues(b) { bp in
          Parallel.run(workers) { worker in
            let images = split(N, worker, workers)
            let out = scratch.product[worker].reserve(P * O)
            var local = s
            dpq_conv_forward_avx512(xp, packed, bp, yp, Int32(images.lowerBound), Int32(images.count), &local, out)
          }
        }
      }
    }
  }

  /// Weight and bias gradients with the direct kernel: the output gradient transposed to
  /// [image, position, channel], then the patch elements split over the workers.
  static func directParameterGradients(
    _ gy: Tensor, _ x: Tensor, needW: Bool, needB: Bool, weightShape: [Int],
    _ shape: inout dpq_conv_shape, _ scratch: ConvolutionScratch
  ) -> (Tensor?, Tensor?) {
    guard needW || needB else { return (nil, nil) }
    let N = gy.shape[0]
    let O = gy.shape[1]
    let P = gy.shape[2] * gy.shape[3]
    let s = shape
    let gyt = scratch.transposedGradient.reserve(N * P * O)
    withValues(gy) { gp in
      Parallel.forEachPiece(Parallel.count(for: N)) { piece in
        let images = split(N, piece, Parallel.count(for: N))
        var local = s
        dpq_conv_transpose_output(gp, gyt, Int32(images.lowerBound), Int32(images.count), &local)
      }
    }
    return directParameterGradients(
      transposed: gyt, x, needW: needW, needB: needB, weightShape: weightShape, &shape, scratch)
  }

  /// The weight and bias gradients from the output gradient already in [image, position, channel].
  static func directParameterGradients(
    transposed gyt: UnsafeMutablePointer<Float>, _ x: Tensor, needW: Bool, needB: Bool,
    weightShape: [Int], _ shape: inout dpq_conv_shape,
    _ scratch: ConvolutionScratch
  ) -> (Tensor?, Tensor?) {
    let N = x.shape[0]
    let O = weightShape[0]
    let K = weightShape.dropFirst().reduce(1, *)
    let s = shape
    var dw: Tensor? = nil
    var db: Tensor? = nil
    if needW {
      let dwt = scratch.packedWeight.reserve(K * O)
      let blocks = (K + 11) / 12
      let workers = Parallel.count(for: blocks)
      withValues(x) { xp in
        Parallel.run(workers) { worker in
          let range = split(blocks, worker, workers)
          var local = s
          dpq_conv_weight_grad_avx512(
            xp, gyt, dwt, Int32(N), Int32(Conv2D.weightGradientChunk),
            Int32(range.lowerBound * 12), Int32(min(K, range.upperBound * 12)), 0, &local)
        }
      }
      var local = s
      dw = makeTensor(weightShape) { dpq_conv_unpack_weight(dwt, $0, &local) }
    }
    if needB {
      var local = s
      db = makeTensor([O]) { dpq_conv_bias_grad(gyt, $0, Int32(N), &local) }
    }
    return (dw, db)
  }

  /// The input gradient with the direct kernel: per image, the columns `W^T @ gy` (vectors over
  /// the output positions), then col2im onto that image; images split over the workers.
  /// `dxp` need not be zeroed: each image is cleared just before its col2im.
  static func directInputGradient(
    _ gy: Tensor, _ w: Tensor, _ dxp: UnsafeMutablePointer<Float>, g: WindowGeometry,
    _ shape: inout dpq_conv_shape, _ scratch: ConvolutionScratch
  ) {
    withValues(gy) { gp in directInputGradient(gp, w, dxp, g: g, &shape, scratch) }
  }

  static func directInputGradient(
    _ gp: UnsafePointer<Float>, _ w: Tensor, _ dxp: UnsafeMutablePointer<Float>,
    g: WindowGeometry, _ shape: inout dpq_conv_shape, _ scratch: ConvolutionScratch
  ) {
    let N = g.batch
    let K = g.patchSize
    let P = g.outputPlane
    let imageSize = g.channels * g.inputPlane
    let workers = Parallel.count(for: N)
    scratch.prepare(workers: workers)
    let s = shape
    withValues(w) { wp in
      Parallel.run(workers) { worker in
        let cols = scratch.columns[worker].reserve(K * P)
        var local = s
        for image in split(N, worker, workers) {
          dpq_conv_input_columns_avx512(wp, gp, cols, Int32(image), &local)
          if g.width <= 16 {
            dpq_conv_col2im_avx512(cols, dxp, Int32(image), &local)
          } else {
            (dxp + image * imageSize).update(repeating: 0, count: imageSize)
            g.col2im(cols, first: image, count: 1, into: dxp)
          }
        }
      }
    }
  }

  /// Images per pass of the weight-gradient kernel over its patch elements (cache blocking only:
  /// the sums are the same for any value).
  nonisolated(unsafe) static var weightGradientChunk = 8
}
