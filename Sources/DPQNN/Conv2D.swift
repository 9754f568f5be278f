import CKernels
import DPQTensor
import Foundation

/// A 2-D convolution over NCHW input, as PyTorch's `nn.Conv2d`: weight `[out, in, kh, kw]`,
/// bias `[out]`, square kernel, stride and zero padding.
///
/// Computed as im2col + sgemm in the weights x columns orientation,
/// `W[out, in*kh*kw] @ cols[in*kh*kw, images*oh*ow]`, over chunks of images sized to stay in
/// cache; chunks are spread over the OpenBLAS threads. The backward pass is fused: the weight
/// gradient is one sgemm per chunk against recomputed columns, the input gradient an sgemm
/// followed by col2im.
public final class Conv2D: Module {
  public let inputChannels: Int
  public let outputChannels: Int
  public let kernelSize: Int
  public let stride: Int
  public let padding: Int
  /// `[outputChannels, inputChannels, kernelSize, kernelSize]`.
  public let weight: Parameter
  /// `[outputChannels]`, or nil for a convolution without bias.
  public let bias: Parameter?
  let scratch = ConvolutionScratch()

  /// A convolution initialised as PyTorch does (Kaiming-uniform with a = sqrt(5): weights and
  /// bias uniform in ±1/sqrt(in*kh*kw)), drawing from `generator`.
  public init(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
    padding: Int = 0, bias: Bool = true, generator: inout RandomGenerator
  ) throws {
    guard inputChannels > 0, outputChannels > 0, kernelSize > 0, stride > 0, padding >= 0 else {
      throw NNError.invalidArgument(
        op: "Conv2D",
        reason:
          "channels, kernel size and stride must be positive and padding non-negative (got in \(inputChannels), out \(outputChannels), kernel \(kernelSize), stride \(stride), padding \(padding))"
      )
    }
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    let fanIn = inputChannels * kernelSize * kernelSize
    let bound = 1 / Float(fanIn).squareRoot()
    weight = Parameter(
      try Tensor.randomUniform(
        [outputChannels, inputChannels, kernelSize, kernelSize],
        low: -bound, high: bound, using: &generator), name: "weight")
    self.bias =
      bias
      ? Parameter(
        try Tensor.randomUniform(
          [outputChannels], low: -bound, high: bound,
          using: &generator), name: "bias") : nil
    super.init()
    registerParameter(weight, named: "weight")
    if let b = self.bias { registerParameter(b, named: "bias") }
  }

  /// A convolution initialised from the module-level generator (see `Module.manualSeed`).
  public convenience init(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
    padding: Int = 0, bias: Bool = true
  ) throws {
    try self.init(
      inputChannels, outputChannels, kernelSize: kernelSize, stride: stride, padding: padding,
      bias: bias, generator: &defaultGenerator)
  }

  public override var profileLabel: String { "Conv2D \(inputChannels)->\(outputChannels) \(kernelSize)x\(kernelSize)" }

  public override func forward(_ x: Tensor) throws -> Tensor {
    try Conv2D.convolve(
      x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
      scratch: scratch)
  }

  /// Whether stride-1, unpadded convolutions with a multiple of 16 output channels use the direct
  /// AVX-512 kernels (CKernels) for the forward pass and the weight and bias gradients: on when the
  /// CPU has AVX-512, unless `DPQ_CONV_KERNEL=im2col` is set. Off, or for other shapes, every
  /// pass is im2col + OpenBLAS sgemm. The input gradient is sgemm + col2im either way.
  nonisolated(unsafe) public static var usesDirectKernels =
    dpq_have_avx512() == 1 && ProcessInfo.processInfo.environment["DPQ_CONV_KERNEL"] != "im2col"

  /// How convolutions are computed on this machine (for benchmark and profile reports).
  public static var kernelDescription: String {
    usesDirectKernels
      ? "direct AVX-512 kernels for stride-1 unpadded layers with 16k output channels (forward, input, weight and bias gradients; fused with ReLU and 2x2 max pooling where a Sequential has them in a row)"
      : "im2col + OpenBLAS sgemm"
  }

  /// Floats of column matrix per chunk: small enough for the chunk to stay in L2/L3.
  nonisolated(unsafe) static var chunkBudget = 1 << 18
  /// Partial weight gradients summed at the end of the backward pass (at most this many threads
  /// share a convolution's backward pass).
  static let gradientSlots = 4

  /// The convolution as a differentiable function of input, weight and bias.
  /// `directKernels` overrides `usesDirectKernels` (tests compare the two paths).
  static func convolve(
    _ x: Tensor, weight w: Tensor, bias b: Tensor?, stride: Int, padding: Int,
    scratch: ConvolutionScratch, directKernels: Bool? = nil
  ) throws -> Tensor {
    let layer = "Conv2D"
    guard w.rank == 4, w.shape[2] > 0, w.shape[3] > 0 else {
      throw NNError.badInput(layer: layer, expected: "a weight [out, in, kh, kw]", shape: w.shape)
    }
    let O = w.shape[0]
    guard x.rank == 4, x.shape[1] == w.shape[1] else {
      throw NNError.badInput(layer: layer, expected: "an input [N, \(w.shape[1]), H, W]", shape: x.shape)
    }
    if let b, b.shape != [O] {
      throw NNError.badInput(layer: layer, expected: "a bias [\(O)]", shape: b.shape)
    }
    // a padding from a script can be anything: the padded size is checked like a shape, so
    // `2 * padding` cannot overflow and the output is refused before it is allocated
    try Tensor.checkShape([2, padding], op: "conv2d (padding)")
    let g = WindowGeometry(
      batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
      kernelHeight: w.shape[2], kernelWidth: w.shape[3], stride: stride, padding: padding)
    guard x.shape[2] + 2 * padding >= w.shape[2], x.shape[3] + 2 * padding >= w.shape[3] else {
      throw NNError.badInput(
        layer: layer, expected: "images of at least \(w.shape[2]) x \(w.shape[3]) after padding \(padding)",
        shape: x.shape)
    }
    let N = g.batch
    let K = g.patchSize
    let P = g.outputPlane
    let outShape = [N, O, g.outputHeight, g.outputWidth]
    try Tensor.checkShape(outShape, op: "conv2d")
    try Tensor.checkShape([K, g.outputHeight, g.outputWidth], op: "conv2d (im2col columns)")
    if N == 0 { return Tensor.record(try Tensor.zeros(outShape), op: "conv2d", inputs: [x, w]) { _ in [nil, nil] } }

    // Chunks of at most `chunkBudget` column floats, their count a multiple of the gradient slots
    // and their sizes as equal as possible. Chunk c adds its weight gradient into slot c mod
    // slots, and the slots are summed in order: the rounding, and so a seeded training run, is
    // the same whatever the number of threads.
    var per = max(1, min(chunkBudget / max(1, K * P), N))
    var chunks = (N + per - 1) / per
    chunks = min(N, (chunks + gradientSlots - 1) / gradientSlots * gradientSlots)
    per = (N + chunks - 1) / chunks
    chunks = (N + per - 1) / per
    let slots = min(gradientSlots, chunks)
    let workers = Parallel.count(for: slots)
    scratch.prepare(workers: slots)
    let direct =
      (directKernels ?? usesDirectKernels) && dpq_have_avx512() == 1 && stride == 1 && padding == 0 && O % 16 == 0
    var shape = dpq_conv_shape(
      channels: Int32(g.channels), height: Int32(g.height), width: Int32(g.width),
      out_channels: Int32(O), kernel_h: Int32(g.kernelHeight), kernel_w: Int32(g.kernelWidth),
      out_h: Int32(g.outputHeight), out_w: Int32(g.outputWidth))

    let y =
      direct
      ? directForward(x, w, b, outShape, &shape, scratch)
      : makeTensor(outShape) { yp in
        withValues(x) { xp in
          withValues(w) { wp in
            withOptionalValues(b) { bp in
              Parallel.run(workers) { worker in
                let cols = scratch.columns[worker].reserve(K * per * P)
                let product = scratch.product[worker].reserve(O * per * P)
                var chunk = worker
                while chunk < chunks {
                  let first = chunk * per
                  let count = min(per, N - first)
                  let n = count * P
                  g.im2col(xp, first: first, count: count, into: cols)
                  BLAS.sgemm(transA: false, transB: false, m: O, n: n, k: K, a: wp, b: cols, c: product)
                  // [O, images*P] -> [images, O, P], adding the bias on the way
                  for img in 0..<count {
                    for o in 0..<O {
                      let dst = yp + ((first + img) * O + o) * P
                      let src = product + o * n + img * P
                      let bias = bp?[o] ?? 0
                      for q in 0..<P { dst[q] = src[q] + bias }
                    }
                  }
                  chunk += workers
                }
              }
            }
          }
        }
      }

    let xd = x.detached()
    let wd = w.detached()
    let needX = x.requiresGrad
    let needW = w.requiresGrad
    let needB = b?.requiresGrad ?? false
    let inputs = b.map { [x, w, $0] } ?? [x, w]
    return Tensor.record(y, op: "conv2d", inputs: inputs) { gy in
      scratch.prepare(workers: slots)
      if direct {
        let (dw, db) = OpProfiler.measure("conv2d backward: weight and bias gradients (direct)") {
          directParameterGradients(gy, xd, needW: needW, needB: needB, weightShape: wd.shape, &shape, scratch)
        }
        let dx =
          needX
          ? OpProfiler.measure("conv2d backward: input gradient (direct + col2im)") {
            makeTensor(x.shape) { dxp in directInputGradient(gy, wd, dxp, g: g, &shape, scratch) }
          } : nil
        return b == nil ? [dx, dw] : [dx, dw, db]
      }
      func run(_ dxp: UnsafeMutablePointer<Float>?) {
        withValues(gy) { gp in
          withValues(xd) { xp in
            withValues(wd) { wp in
              Parallel.run(workers) { worker in
                let cols = scratch.columns[worker].reserve(K * per * P)
                let gathered = scratch.product[worker].reserve(O * per * P)
                var slot = worker
                while slot < slots {
                  let dw = scratch.weightGradient[slot].reserve(O * K + O)
                  let db = dw + O * K
                  db.update(repeating: 0, count: O)
                  var chunk = slot
                  var started = false
                  while chunk < chunks {
                    let first = chunk * per
                    let count = min(per, N - first)
                    let n = count * P
                    for img in 0..<count {
                      for o in 0..<O { copyRow(gathered + o * n + img * P, gp + ((first + img) * O + o) * P, P) }
                    }
                    if needW {
                      g.im2col(xp, first: first, count: count, into: cols)
                      BLAS.sgemm(
                        transA: false, transB: true, m: O, n: K, k: n, a: gathered, lda: n,
                        b: cols, ldb: n, beta: started ? 1 : 0, c: dw)
                    }
                    if needB {
                      for o in 0..<O {
                        let row = gathered + o * n
                        var s: Float = 0
                        for q in 0..<n { s += row[q] }
                        db[o] += s
                      }
                    }
                    if let dxp {
                      // the columns buffer is free again once the weight gradient has used it
                      BLAS.sgemm(
                        transA: true, transB: false, m: K, n: n, k: O, a: wp, lda: K,
                        b: gathered, ldb: n, c: cols)
                      g.col2im(cols, first: first, count: count, into: dxp)
                    }
                    started = true
                    chunk += slots
                  }
                  slot += workers
                }
              }
            }
          }
        }
      }
      var dx: Tensor? = nil
      if needX { dx = makeZeroedTensor(x.shape) { run($0) } } else { run(nil) }
      func summed(_ offset: Int, _ count: Int, _ shape: [Int]) -> Tensor {
        makeTensor(shape) { o in
          o.update(from: scratch.weightGradient[0].pointer + offset, count: count)
          for slot in 1..<max(slots, 1) {
            let p = scratch.weightGradient[slot].pointer + offset
            for i in 0..<count { o[i] += p[i] }
          }
        }
      }
      let dw = needW ? summed(0, O * K, wd.shape) : nil
      let db = needB ? summed(O * K, O, [O]) : nil
      return b == nil ? [dx, dw] : [dx, dw, db]
    }
  }
}

/// Per-worker scratch buffers of one convolution layer, reused across steps.
final class ConvolutionScratch {
  var columns: [ScratchBuffer] = []
  var product: [ScratchBuffer] = []
  var weightGradient: [ScratchBuffer] = []
  /// The weight as [patch, out] for the direct kernels, and their weight gradient in that layout.
  let packedWeight = ScratchBuffer()
  /// The output gradient as [image, position, channel] for the direct kernels.
  let transposedGradient = ScratchBuffer()
  /// The fused op's gradient at the convolution's output, [image, channel, position].
  let unpooledGradient = ScratchBuffer()

  /// Makes sure every worker has its buffers (called before work is spread over threads).
  func prepare(workers: Int) {
    while columns.count < workers {
      columns.append(ScratchBuffer())
      product.append(ScratchBuffer())
      weightGradient.append(ScratchBuffer())
    }
  }
}
