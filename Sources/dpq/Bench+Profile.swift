import ArgumentParser
import DPQNN
import DPQQuantization
import DPQTensor
import Foundation

/// `dpq bench profile`: where the time of `train/dpq-step` goes. Runs the train suite's workload
/// (same model, options and inputs) with `OpProfiler` on, and
/// prints per op and layer the milliseconds per step and their share (at each of `--thread-counts`,
/// default 1,2); `--out PATH` also writes
/// PATH.md and PATH.json (docs/profile.md, linked from docs/benchmarks.md).
extension BenchCommand {
  struct ProfileRun {
    let threads: Int
    /// Conv2D.kernelDescription during the run.
    var convolution = Conv2D.kernelDescription
    let stepMilliseconds: Double
    let imagesPerSecond: Double
    /// (label, calls per step, milliseconds per step), largest first.
    let rows: [(String, Double, Double)]
  }

  func benchProfile() throws {
    var results: [ProfileRun] = []
    for t in try profileThreadCounts() {
      setEngineThreadCount(t)
      results.append(try profileTraining(threads: t))
      if compareIm2col && Conv2D.usesDirectKernels {
        Conv2D.usesDirectKernels = false
        defer { Conv2D.usesDirectKernels = true }
        results.append(try profileTraining(threads: t))
      }
    }
    let text = profileMarkdown(results)
    print(text)
    if let out {
      try Data(text.utf8).write(to: URL(fileURLWithPath: out + ".md"), options: .atomic)
      let json: [[String: Any]] = results.map { r in
        [
          "threads": r.threads, "convolution": r.convolution, "step_ms": r.stepMilliseconds,
          "images_per_second": r.imagesPerSecond,
          "rows": r.rows.map { ["label": $0.0, "calls_per_step": $0.1, "ms_per_step": $0.2] },
        ]
      }
      let data = try JSONSerialization.data(
        withJSONObject: [
          "runs": json, "convolution": Conv2D.kernelDescription,
          "openblas_core": BLAS.coreName,
        ], options: [.sortedKeys, .prettyPrinted])
      try data.write(to: URL(fileURLWithPath: out + ".json"), options: .atomic)
      benchLog("profile: wrote \(out).md and \(out).json")
    }
  }

  func profileThreadCounts() throws -> [Int] {
    threadCountList == nil ? [1, 2] : try threadCounts()
  }

  /// The train suite's epochs with the profiler on after the untimed first one.
  func profileTraining(threads: Int) throws -> ProfileRun {
    let (trainer, inputs, labels, _) = try makeBenchTrainer()
    var seconds = 0.0
    var images = 0
    try trainer.fit(inputs: inputs, labels: labels) { line in
      if line.epoch == 1 {
        OpProfiler.start()
        return
      }
      seconds += line.seconds
      images += inputs.shape[0]
    }
    let totals = OpProfiler.stop()
    let steps = Double(runs * ((inputs.shape[0] + batch - 1) / batch))
    let stepMs = seconds / steps * 1e3
    var rows = totals.map { ($0.key, Double($0.value.calls) / steps, $0.value.seconds / steps * 1e3) }
    let measured = rows.reduce(0) { $0 + $1.2 }
    rows.append(("trainer: the rest of the step loop (not in a region)", 1, max(0, stepMs - measured)))
    rows.sort { $0.2 > $1.2 }
    benchLog("profile: \(threads) thread(s): \(String(format: "%.2f", stepMs)) ms per step")
    return ProfileRun(threads: threads, stepMilliseconds: stepMs, imagesPerSecond: Double(images) / seconds, rows: rows)
  }

  func profileMarkdown(_ results: [ProfileRun]) -> String {
    var lines = [
      "# Profile of `train/dpq-step`", "",
      "Written by `dpq bench profile --compare-im2col --out docs/profile` (do not edit by hand; re-run it). The train suite's",
      "workload (LeNet DPQ, batch \(batch), stage 2, \(steps) steps per run, \(runs) runs after an untimed epoch) with",
      "the in-process `OpProfiler` on: each layer's forward pass, each graph op's backward pass (by op and",
      "output shape), the optimizers and the trainer's own work, as exclusive wall-clock milliseconds per",
      "step (a region's time excludes the regions inside it, so a column adds up to the step).",
      "`objective: other ops` is the tensor ops of the objective outside a layer (similarities, softmax,",
      "sums, indexing). One run of a shared machine: compare shares, not absolute times, across runs.", "",
      "- OpenBLAS core \(BLAS.coreName); convolution: \(Conv2D.kernelDescription)",
      "- \(ProcessInfo.processInfo.activeProcessorCount) cores; date \(ISO8601DateFormatter().string(from: Date()))",
      "",
    ]
    let direct = results.filter { $0.convolution == Conv2D.kernelDescription }
    let im2col = results.filter { $0.convolution != Conv2D.kernelDescription }
    if !im2col.isEmpty {
      lines += [
        "With `--compare-im2col` each thread count also ran with the direct kernels off (the im2col +",
        "OpenBLAS sgemm convolutions, as `DPQ_CONV_KERNEL=im2col`; everything else the same):", "",
        "| threads | direct kernels, ms per step | im2col + sgemm, ms per step | speed-up |", "|---:|---:|---:|---:|",
      ]
      for (d, i) in zip(direct, im2col) {
        lines.append(
          "| \(d.threads) | \(String(format: "%.2f", d.stepMilliseconds)) | \(String(format: "%.2f", i.stepMilliseconds)) | \(String(format: "%.2fx", i.stepMilliseconds / d.stepMilliseconds)) |"
        )
      }
      lines.append("")
    }
    for r in results {
      let kind = r.convolution == Conv2D.kernelDescription ? "" : " (im2col + sgemm convolutions)"
      lines += [
        "## \(r.threads) thread\(r.threads == 1 ? "" : "s")\(kind): \(String(format: "%.2f", r.stepMilliseconds)) ms per step, \(Int(r.imagesPerSecond.rounded())) images/s",
        "",
        "| region | calls per step | ms per step | share |", "|---|---:|---:|---:|",
      ]
      var other = 0.0
      var otherCount = 0
      for (label, calls, ms) in r.rows {
        if ms / r.stepMilliseconds < 0.005 {
          other += ms
          otherCount += 1
          continue
        }
        lines.append(
          "| \(label) | \(String(format: "%.0f", calls)) | \(String(format: "%.3f", ms)) | \(String(format: "%.1f%%", 100 * ms / r.stepMilliseconds)) |"
        )
      }
      if otherCount > 0 {
        lines.append(
          "| \(otherCount) more regions under 0.5% each | | \(String(format: "%.3f", other)) | \(String(format: "%.1f%%", 100 * other / r.stepMilliseconds)) |"
        )
      }
      lines.append("")
    }
    return lines.joined(separator: "\n")
  }
}
