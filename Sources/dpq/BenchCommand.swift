import ArgumentParser
import DPQNN
import DPQTensor
import Foundation

/// `dpq bench tensor`: throughput of the tensor engine's hot paths, medians of several runs.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Measure the engine's hot paths (build with -c release).")

  @Argument(help: "What to measure: tensor.") var suite: String = "tensor"
  @Option(help: "Timed runs per workload (the median is reported).") var runs: Int = 7
  @Option(help: "OpenBLAS threads.") var threads: Int = 2

  func run() throws {
    BLAS.setThreadCount(threads)
    #if DEBUG
    print("warning: debug build; measure with `swift run -c release dpq bench`")
    #endif
    print("OpenBLAS core: \(BLAS.coreName), threads: \(BLAS.threadCount), runs: \(runs) (median)")
    switch suite {
    case "tensor": try benchTensor()
    default: throw ValidationError("unknown suite '\(suite)' (known: tensor)")
    }
  }

  func benchTensor() throws {
    var rng = RandomGenerator(seed: 1)
    var rows: [[String]] = []
    for (m, n, k) in [(256, 256, 300), (256, 4096, 300), (1024, 1024, 1024)] {
      let a = try Tensor.randomNormal([m, k], using: &rng), b = try Tensor.randomNormal([k, n], using: &rng)
      let reps = max(1, 200_000_000 / (2 * m * n * k))
      let t = Stopwatch.median(try Stopwatch.measure(runs: runs) {
        for _ in 0..<reps { _ = try Tensor.matmul(a, b) }
      }) / Double(reps)
      rows.append(["sgemm \(m)x\(n)x\(k)", String(format: "%.1f GFLOP/s", 2.0 * Double(m * n * k) / t / 1e9),
                   String(format: "%.3f ms", t * 1e3)])
    }
    // Conv2D forward + backward on a 28x28 batch of 256 (the first LeNet layer's shape family).
    for (cin, cout, side) in [(1, 32, 28), (32, 64, 12)] {
      let conv = try Conv2D(cin, cout, kernelSize: 5, generator: &rng)
      let x = try Tensor.randomNormal([256, cin, side, side], using: &rng).requiringGrad()
      let t = Stopwatch.median(try Stopwatch.measure(runs: runs) {
        let y = try conv(x)
        try y.backward(Tensor.ones(y.shape))
      })
      rows.append(["conv2d 5x5 \(cin)->\(cout) on \(side)x\(side), batch 256, fwd+bwd",
                   String(format: "%.0f images/s", 256 / t), String(format: "%.1f ms", t * 1e3)])
    }
    // The full LeNet training step of the DPQ backbone at batch 128.
    let step = try benchmarkTrainingStep(batchSize: 128, steps: max(10, runs * 3))
    let ms = Stopwatch.median(step.stepSeconds.sorted())
    rows.append(["LeNet training step, batch 128 (fwd+bwd+SGD)", String(format: "%.0f images/s", step.imagesPerSecond),
                 String(format: "%.1f ms", ms * 1e3)])
    printTable(header: ["workload", "throughput", "median time"], rows: rows)
  }
}

/// Prints rows as an aligned text table.
func printTable(header: [String], rows: [[String]]) { print(tableText(header: header, rows: rows)) }

/// Rows as an aligned text table: first column left-aligned, the others right-aligned.
func tableText(header: [String], rows: [[String]]) -> String {
  let all = [header] + rows
  let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
  func line(_ r: [String]) -> String {
    r.enumerated().map { c, s in c == 0 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                                        : String(repeating: " ", count: widths[c] - s.count) + s }
      .joined(separator: "  ")
  }
  return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
    .joined(separator: "\n")
}
