import ArgumentParser
import DPQData
import DPQNN
import DPQPlot
import DPQTensor
import Foundation

/// `dpq bench SUITE`: throughput of the engine's hot paths, medians of several runs. The suites
/// other than `tensor` are the dpq side of `scripts/bench`, which runs them alternately with their
/// PyTorch and faiss peers (scripts/peers) on the data `dpq bench prepare` writes.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Measure the engine's hot paths (build with -c release).",
    discussion: """
      Suites: tensor (sgemm, convolutions, a LeNet step, t-SNE), prepare (writes the shared benchmark data to --data), train (DPQ \
      training steps and network encoding at --thread-counts), profile (where a training step's time \
      goes, per op and layer, at --thread-counts; --out docs/profile writes docs/profile.md), quantizers (k-means/PQ/OPQ/RQ training, encoding, distortion), search \
      (top-100 lookup-table search), map (mAP@all of PQ/OPQ/RQ), repl (REPL start-up to the prompt, \
      and a training loop written in the language against the built-in train), scale (encoding, memory, \
      building, saving, loading and top-100 search of 100,000 to 10 million synthetic 32-bit codes and the \
      FM database, beside faiss in the same run; --sizes, --queries, --encode-limit, --python, --out), \
      backbones (AlexNet and ResNet-18 forward passes; --size, --backbone-batch), fused (every fused \
      kernel of GradientTable against the same computation composed from primitives, forward and \
      backward; --side, --batch). \
      scripts/bench runs them all against PyTorch and faiss and writes docs/benchmarks.md.
      """)

  static let suites = [
    "tensor", "prepare", "train", "profile", "quantizers", "search", "map", "repl", "scale", "backbones", "fused",
  ]

  @Argument(help: "What to measure: \(BenchCommand.suites.joined(separator: ", ")).") var suite: String = "tensor"
  @Option(help: "Timed runs per workload (the median is reported).") var runs: Int = 7
  @Option(help: "OpenBLAS threads (and worker threads of the quantizers).") var threads: Int = 2
  @Flag(help: "Print the results as one JSON document (progress goes to standard error).") var json = false
  @Option(help: "Directory of the benchmark data (`dpq bench prepare` writes it).") var data: String =
    ".build/bench-data"
  @Option(help: "Mini-batch size of the train and fused suites.") var batch: Int = 128
  @Option(help: "Training steps per timed run of the train suite.") var steps: Int = 10
  @Option(
    name: .customLong("thread-counts"),
    help: "train, profile: thread counts to measure at, comma-separated (default: --threads; profile: 1,2).")
  var threadCountList: String?
  @Option(help: "train: database images the encode/dpq-lenet row encodes per run.") var encodeImages: Int = 10_000
  @Flag(help: "profile: also profile each thread count with the direct convolution kernels off.") var compareIm2col =
    false
  @Option(help: "Training epochs of the DPQ model `prepare` trains (half of them classification only).") var epochs:
    Int = 4
  @Option(help: "Comma-separated workload name fragments to run (default: all of the suite).") var only: String?
  @Option(help: "Seed of the quantizers suite's k-means runs (scripts/bench changes it every round).") var seed:
    UInt64 = 1234
  @Flag(help: "Log when each quantizer training phase starts.") var verbose = false
  @Option(help: "repl: start-up runs (the median is reported).") var startupRuns: Int = 21
  @Option(help: "repl: training images per epoch of the overhead comparison.") var images: Int = 2560
  @Flag(help: "search: write each index's top-100 ids to the data directory (for the agreement check).") var writeIds =
    false
  @Option(help: "scale: database sizes in items, comma-separated.") var sizes: String = "100000,1000000,10000000"
  @Option(help: "scale: queries per timed search (fewer beyond 1 million items, at least 100).") var queries: Int = 1000
  @Option(help: "scale: sizes above this many items get random codes instead of encoded features.") var encodeLimit:
    Int = 10_000_000
  @Option(
    help: "scale: the Python with faiss for the peer rows (default: $PYTHON, .venv-bench, .venv; 'none' skips faiss).")
  var python: String?
  @Option(
    help:
      "scale: also write OUT.json, OUT.md and the curves OUT.svg (e.g. docs/scale); profile: OUT.md and OUT.json (docs/profile)."
  ) var out: String?

  @Option(help: "backbones: input height and width.") var size: Int = 224
  @Option(help: "backbones: images per forward pass.") var backboneBatch: Int = 8

  @Option(help: "fused: what to time: fused (the kernels), composite (their composites of primitives) or both.")
  var side: String = "both"

  func run() throws {
    setEngineThreadCount(threads)
    #if DEBUG
      benchLog("warning: debug build; measure with `swift run -c release dpq bench`")
    #endif
    if !json { print("OpenBLAS core: \(BLAS.coreName), threads: \(engineThreadCount), runs: \(runs) (median)") }
    guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    switch suite {
    case "tensor": try benchTensor()
    case "prepare": try benchPrepare()
    case "train": try benchTrain().emit(json: json)
    case "profile": try benchProfile()
    case "quantizers": try benchQuantizers().emit(json: json)
    case "search": try benchSearch().emit(json: json)
    case "map": try benchMap().emit(json: json)
    case "repl": try benchRepl()
    case "scale": try benchScale()
    case "backbones": try benchBackbones().emit(json: json)
    case "fused": try benchFused()
    default: throw ValidationError("unknown suite '\(suite)' (known: \(BenchCommand.suites.joined(separator: ", ")))")
    }
  }

  /// Whether a workload was selected with `--only`.
  func selected(_ workload: String) -> Bool {
    guard let only, !only.isEmpty else { return true }
    return only.split(separator: ",").contains { workload.contains($0) }
  }

  /// A path inside the data directory.
  func dataPath(_ name: String) -> String { (data as NSString).appendingPathComponent(name) }

  /// Refuses to run a suite whose data has not been prepared, with the command that prepares it.
  func requireData(_ names: [String]) throws {
    for n in names where !FileManager.default.fileExists(atPath: dataPath(n)) {
      throw ValidationError("\(dataPath(n)) is missing; run `dpq bench prepare --data \(data)` first")
    }
  }

  func benchTensor() throws {
    var rng = RandomGenerator(seed: 1)
    var rows: [[String]] = []
    for (m, n, k) in [(256, 256, 300), (256, 4096, 300), (1024, 1024, 1024)] {
      let a = try Tensor.randomNormal([m, k], using: &rng)
      let b = try Tensor.randomNormal([k, n], using: &rng)
      let reps = max(1, 200_000_000 / (2 * m * n * k))
      let t =
        Stopwatch.median(
          try Stopwatch.measure(runs: runs) {
            for _ in 0..<reps { _ = try Tensor.matmul(a, b) }
          }) / Double(reps)
      rows.append([
        "sgemm \(m)x\(n)x\(k)", String(format: "%.1f GFLOP/s", 2.0 * Double(m * n * k) / t / 1e9),
        String(format: "%.3f ms", t * 1e3),
      ])
    }
    // Conv2D forward + backward on a 28x28 batch of 256 (the first LeNet layer's shape family).
    for (cin, cout, side) in [(1, 32, 28), (32, 64, 12)] {
      let conv = try Conv2D(cin, cout, kernelSize: 5, generator: &rng)
      let x = try Tensor.randomNormal([256, cin, side, side], using: &rng).requiringGrad()
      let t = Stopwatch.median(
        try Stopwatch.measure(runs: runs) {
          let y = try conv(x)
          try y.backward(Tensor.ones(y.shape))
        })
      rows.append([
        "conv2d 5x5 \(cin)->\(cout) on \(side)x\(side), batch 256, fwd+bwd",
        String(format: "%.0f images/s", 256 / t), String(format: "%.1f ms", t * 1e3),
      ])
    }
    // The full LeNet training step of the DPQ backbone at batch 128.
    let step = try benchmarkTrainingStep(batchSize: 128, steps: max(10, runs * 3))
    let ms = Stopwatch.median(step.stepSeconds.sorted())
    rows.append([
      "LeNet training step, batch 128 (fwd+bwd+SGD)", String(format: "%.0f images/s", step.imagesPerSecond),
      String(format: "%.1f ms", ms * 1e3),
    ])
    // Exact t-SNE at the size it is meant for (plot_projection's default method).
    let clusters = try LabelledDataset.blobs(n: 2_000, classes: 10, dimension: 64, seed: 1).features
    let tsne = Stopwatch.median(
      try Stopwatch.measure(runs: max(1, runs / 3)) {
        _ = try TSNE.embed(clusters, options: TSNEOptions(perplexity: 30, iterations: 1000))
      })
    rows.append([
      "t-SNE of 2000 x 64 points, 1000 iterations", String(format: "%.0f points/s", 2_000 / tsne),
      String(format: "%.2f s", tsne),
    ])
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
    r.enumerated().map { c, s in
      c == 0
        ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
        : String(repeating: " ", count: widths[c] - s.count) + s
    }
    .joined(separator: "  ")
  }
  return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
    .joined(separator: "\n")
}
