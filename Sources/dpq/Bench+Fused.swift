import ArgumentParser
import DPQNN
import DPQTensor
import Foundation

/// `dpq bench fused`: every fused kernel of `GradientTable.fusedKernels` against the same
/// computation written as a composite of primitives, forward and backward, at the DPQ model's
/// shapes (batch 128, D = 300, K = 256, LeNet's layers). A kernel earns its place when its row
/// shows a speed or accuracy need, or when it is on the reference experiment's path (whose
/// numbers are frozen). `--side` times one side only: scripts/bench runs `--side fused` and
/// `--side composite` alternately, as it does dpq and its peers.
extension BenchCommand {
  /// One fused kernel's workload: inputs, and the two ways of computing the same thing.
  struct FusedWorkload {
    let kernel: GradientTable.FusedKernel
    /// What the row measures, for the docs ("[128, 300]").
    let shape: String
    /// Leaves that require grad (the op's inputs and parameters).
    let inputs: [Tensor]
    let fused: ([Tensor]) throws -> Tensor
    let composite: ([Tensor]) throws -> Tensor
  }

  func benchFused() throws {
    guard ["fused", "composite", "both"].contains(side) else {
      throw ValidationError("--side must be fused, composite or both, got '\(side)'")
    }
    var report = BenchReport(suite: "fused")
    var rows: [[String]] = []
    for w in try fusedWorkloads() {
      let workload = w.kernel.benchmarkRow
      guard selected(workload) else { continue }
      let (forwardError, gradientError) = try differences(w)
      var info: [String: Any] = [
        "kernel": w.kernel.label, "module": w.kernel.module, "shape": w.shape, "composite": w.kernel.composite,
        "reason": w.kernel.reason, "on_experiment_path": w.kernel.onExperimentPath, "threads": engineThreadCount,
        "max_abs_difference_forward": Double(forwardError), "max_abs_difference_gradient": Double(gradientError),
        "measures": "forward + backward, ms per call",
      ]
      var fusedTimes: [Double] = []
      var compositeTimes: [Double] = []
      // the two sides alternate run by run, so that a change in the machine's load hits both
      for _ in 0..<(side == "both" ? runs : 0) {
        fusedTimes += try timeCalls(w, w.fused, runs: 1)
        compositeTimes += try timeCalls(w, w.composite, runs: 1)
      }
      if side == "fused" { fusedTimes = try timeCalls(w, w.fused, runs: runs) }
      if side == "composite" { compositeTimes = try timeCalls(w, w.composite, runs: runs) }
      if side == "both" { info["composite_ms"] = compositeTimes }
      report.add(
        BenchMeasurement(
          workload: workload, unit: "ms", higherIsBetter: false,
          values: side == "composite" ? compositeTimes : fusedTimes, info: info))
      let f = Stopwatch.median(fusedTimes.sorted())
      let c = Stopwatch.median(compositeTimes.sorted())
      rows.append([
        workload, w.shape, fusedTimes.isEmpty ? "-" : String(format: "%.3f", f),
        compositeTimes.isEmpty ? "-" : String(format: "%.3f", c),
        fusedTimes.isEmpty || compositeTimes.isEmpty ? "-" : String(format: "%.2fx", c / f),
        String(format: "%.1e", forwardError), String(format: "%.1e", gradientError),
        w.kernel.onExperimentPath ? "yes" : "no",
      ])
    }
    report.notes.append(
      "fused/* rows: forward + backward of one call in ms, median of \(runs) runs; the peer side is the same "
        + "computation composed from GradientTable's primitives (`dpq bench fused --side composite`)")
    if json {
      print(try report.jsonText())
    } else {
      printTable(
        header: [
          "kernel", "shape", "fused ms", "composite ms", "ratio", "max |diff| fwd", "max |diff| grad", "experiment",
        ], rows: rows)
      print("ratio: composite ms / fused ms (above 1: the fused kernel is faster)")
    }
  }

  /// Milliseconds per forward + backward call of `f`, `runs` timed runs of enough calls to take
  /// about 20 ms each.
  private func timeCalls(_ w: FusedWorkload, _ f: ([Tensor]) throws -> Tensor, runs: Int) throws -> [Double] {
    let seed = try gradientSeed(w)
    func call() throws {
      for x in w.inputs { x.zeroGrad() }
      try f(w.inputs).backward(seed)
    }
    let t0 = Stopwatch.now()
    try call()
    let once = Swift.max(Stopwatch.now() - t0, 1e-6)
    let reps = Swift.max(1, Int(0.02 / once))
    return try Stopwatch.measure(runs: runs) { for _ in 0..<reps { try call() } }.map { $0 / Double(reps) * 1e3 }
  }

  /// A fixed output gradient of the workload's output shape.
  private func gradientSeed(_ w: FusedWorkload) throws -> Tensor {
    let shape = try Tensor.withNoGrad { try w.fused(w.inputs) }.shape
    var rng = RandomGenerator(seed: 99)
    return try Tensor.randomNormal(shape, using: &rng)
  }

  /// The largest absolute differences between the fused and the composite outputs, and between
  /// the gradients they give the inputs.
  private func differences(_ w: FusedWorkload) throws -> (Float, Float) {
    let seed = try gradientSeed(w)
    func run(_ f: ([Tensor]) throws -> Tensor) throws -> (Tensor, [Tensor]) {
      for x in w.inputs { x.zeroGrad() }
      let y = try f(w.inputs)
      try y.backward(seed)
      return (y.detached(), w.inputs.map { $0.grad ?? Tensor(scalar: 0) })
    }
    let (yf, gf) = try run(w.fused)
    let (yc, gc) = try run(w.composite)
    for x in w.inputs { x.zeroGrad() }
    func largest(_ a: Tensor, _ b: Tensor) -> Float {
      zip(a.scalars, b.scalars).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
    }
    return (largest(yf, yc), zip(gf, gc).map { largest($0, $1) }.max() ?? 0)
  }

  /// The workloads, one per fused kernel, in the table's order.
  func fusedWorkloads() throws -> [FusedWorkload] {
    var rng = RandomGenerator(seed: 5)
    func leaf(_ shape: [Int], low: Float? = nil) throws -> Tensor {
      let t =
        try low.map { try Tensor.randomUniform(shape, low: $0, high: $0 + 2, using: &rng) }
        ?? Tensor.randomNormal(shape, using: &rng)
      return t.requiringGrad()
    }
    func kernel(_ label: String) throws -> GradientTable.FusedKernel {
      guard let k = GradientTable.fusedKernels.first(where: { $0.label == label }) else {
        throw ValidationError("no fused kernel '\(label)' in GradientTable")
      }
      return k
    }
    var out: [FusedWorkload] = []
    func add(
      _ label: String, _ shape: String, _ inputs: [Tensor], fused: @escaping ([Tensor]) throws -> Tensor,
      composite: @escaping ([Tensor]) throws -> Tensor
    ) throws {
      out.append(
        FusedWorkload(kernel: try kernel(label), shape: shape, inputs: inputs, fused: fused, composite: composite))
    }
    func value(_ p: Parameter?) throws -> Tensor {
      guard let p else { throw ValidationError("a layer of the fused suite has no bias or scale") }
      return p.value
    }
    let batch = self.batch
    // elementwise, at the feature layer's [B, D]
    try add(
      "tanh", "[\(batch), 300]", [leaf([batch, 300])], fused: { $0[0].tanh() },
      composite: { try 1 - 2 / (($0[0] * 2).exp() + 1) })
    try add(
      "sigmoid", "[\(batch), 300]", [leaf([batch, 300])], fused: { $0[0].sigmoid() },
      composite: {
        // finite for every x, forward and backward: e = exp(-|x|) with -|x| = x - 2 relu(x)
        let x = $0[0]
        let e = try (x - x.relu() * 2).exp()
        let positive = try Tensor.greater(x.detached(), Tensor(scalar: 0))
        return try Tensor.where(positive, 1 / (e + 1), e / (e + 1))
      })
    try add(
      "pow", "[\(batch), 300], p = 1.5", [leaf([batch, 300], low: 0.5)], fused: { $0[0].pow(1.5) },
      composite: { try ($0[0].log() * 1.5).exp() })
    // rows: the soft assignment [B, K], the ranking's [B, B] scores, the classifier's [B, classes]
    try add(
      "softmax", "[\(batch), 256] along 1", [leaf([batch, 256])], fused: { try $0[0].softmax(axis: 1) },
      composite: {
        let e = try ($0[0] - $0[0].max(axes: [1], keepDims: true).detached()).exp()
        return try e / e.sum(axes: [1], keepDims: true)
      })
    try add(
      "logSoftmax", "[\(batch), 256] along 1", [leaf([batch, 256])], fused: { try $0[0].logSoftmax(axis: 1) },
      composite: {
        let shifted = try $0[0] - $0[0].max(axes: [1], keepDims: true).detached()
        return try shifted - shifted.exp().sum(axes: [1], keepDims: true).log()
      })
    try add(
      "logsumexp", "[\(batch), \(batch)] along 1", [leaf([batch, batch])], fused: { try $0[0].logsumexp(axes: [1]) },
      composite: {
        let m = try $0[0].max(axes: [1], keepDims: true).detached()
        return try ((($0[0] - m).exp().sum(axes: [1], keepDims: true)).log() + m).reshaped([-1])
      })
    let labels = (0..<batch).map { $0 % 10 }
    let oneHot = try Tensor.oneHot(labels, classCount: 10)
    try add(
      "softmaxCrossEntropy", "[\(batch), 10]", [leaf([batch, 10])],
      fused: { try softmaxCrossEntropy(logits: $0[0], labels: labels) },
      composite: {
        let x = $0[0]
        let m = try x.max(axes: [1], keepDims: true).detached()
        let lse = try (x - m).exp().sum(axes: [1]).log() + m.reshaped([-1])
        return try (lse - (x * oneHot).sum(axes: [1])).mean()
      })
    // layers at LeNet's shapes
    var g = RandomGenerator(seed: 6)
    let fc = try Linear(1024, 512, generator: &g)
    try add(
      "linear", "[\(batch), 1024] -> 512", [leaf([batch, 1024]), fc.weight.value, try value(fc.bias)],
      fused: { try fc($0[0]) }, composite: { try Tensor.matmul($0[0], $0[1], transposeB: true) + $0[2] })
    let conv = try Conv2D(32, 64, kernelSize: 5, generator: &g)
    try add(
      "conv2d", "[\(batch), 32, 12, 12] -> 64, 5x5",
      [leaf([batch, 32, 12, 12]), conv.weight.value, try value(conv.bias)],
      fused: { try conv($0[0]) }, composite: { try compositeConvolution($0[0], weight: $0[1], bias: $0[2]) })
    let conv1 = try Conv2D(1, 32, kernelSize: 5, generator: &g)
    let block = Sequential([conv1, ReLU(), try MaxPool2D(kernelSize: 2)])
    try add(
      "conv2d_relu_maxpool", "[\(batch), 1, 28, 28] -> 32, 5x5, pool 2",
      [leaf([batch, 1, 28, 28]), conv1.weight.value, try value(conv1.bias)], fused: { try block($0[0]) },
      composite: { xs in
        // the three kernels it fuses, one after the other
        let saved = Conv2D.fusesReLUMaxPool
        Conv2D.fusesReLUMaxPool = false
        defer { Conv2D.fusesReLUMaxPool = saved }
        return try block(xs[0])
      })
    let maxPool = try MaxPool2D(kernelSize: 2)
    try add(
      "maxpool2d", "[\(batch), 32, 24, 24], 2x2", [leaf([batch, 32, 24, 24])], fused: { try maxPool($0[0]) },
      composite: { try $0[0].reshaped([batch, 32, 12, 2, 12, 2]).max(axes: [3, 5]) })
    let bn = try BatchNorm2D(32)
    let eps = bn.epsilon
    try add(
      "batchnorm", "[\(batch), 32, 24, 24], training",
      [leaf([batch, 32, 24, 24]), try value(bn.weight), try value(bn.bias)],
      fused: { try bn($0[0]) },
      composite: { xs in
        let x = xs[0]
        let mean = try x.mean(axes: [0, 2, 3], keepDims: true)
        let variance = try x.variance(axes: [0, 2, 3], keepDims: true)
        let normalised = try (x - mean) / (variance + eps).sqrt()
        return try normalised * xs[1].reshaped([1, -1, 1, 1]) + xs[2].reshaped([1, -1, 1, 1])
      })
    return out
  }
}

/// A stride-1, unpadded convolution from primitives: the kernel taps' slices of x side by side
/// (im2col by slice, permute and concat), one matrix product with the weights, the bias added.
func compositeConvolution(_ x: Tensor, weight w: Tensor, bias b: Tensor) throws -> Tensor {
  let (n, c, h, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let (o, k) = (w.shape[0], w.shape[2])
  let (oh, ow) = (h - k + 1, width - k + 1)
  var taps: [Tensor] = []
  for i in 0..<k {
    for j in 0..<k {
      let s = try x.sliced([.all, .all, .range(i..<(i + oh)), .range(j..<(j + ow))])
      taps.append(try s.permuted([0, 2, 3, 1]).reshaped([n * oh * ow, c]))
    }
  }
  let columns = try Tensor.concat(taps, axis: 1)
  let weights = try w.permuted([0, 2, 3, 1]).reshaped([o, k * k * c])
  let y = try Tensor.matmul(columns, weights, transposeB: true) + b
  return try y.reshaped([n, oh, ow, o]).permuted([0, 3, 1, 2])
}
