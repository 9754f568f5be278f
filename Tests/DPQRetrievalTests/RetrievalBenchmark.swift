import DPQRetrieval
import DPQTensor
import Foundation
import Testing

/// Search and evaluation speed on the reference size (69,000 items, 4 blocks of K = 256, D = 300,
/// 1,000 queries). Reports, never asserts. Runs only with DPQ_BENCH=1, best in a release build:
/// `DPQ_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter RetrievalBenchmark`
/// (DPQ_BENCH_QUERIES=N for fewer queries, DPQ_BENCH_PART=search or evaluate for one half).
@Suite struct RetrievalBenchmark {
  static var enabled: Bool { ProcessInfo.processInfo.environment["DPQ_BENCH"] == "1" }

  /// Median wall time and median process CPU time of `runs` calls, in seconds. On a shared
  /// machine the CPU time is the fairer per-core figure: queries per CPU-second.
  func median(_ runs: Int, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    var walls: [Double] = []
    var cpus: [Double] = []
    func cpuNow() -> Double {
      var t = timespec()
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
      return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    for _ in 0..<runs {
      let start = DispatchTime.now().uptimeNanoseconds
      let c0 = cpuNow()
      try body()
      cpus.append(cpuNow() - c0)
      walls.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return (walls.sorted()[runs / 2], cpus.sorted()[runs / 2])
  }

  @Test(.enabled(if: RetrievalBenchmark.enabled))
  func searchAndEvaluateAtReferenceSize() throws {
    let env = ProcessInfo.processInfo.environment
    let (n, nq, m, k, d) = (69_000, Int(env["DPQ_BENCH_QUERIES"] ?? "") ?? 1_000, 4, 256, 300)
    let part = env["DPQ_BENCH_PART"] ?? "all"
    var rng = RandomGenerator(seed: 2024)
    var index = try Index(layout: .additive(codebooks: try Tensor.randomNormal([m, k, d], std: 0.1, using: &rng)))
    try index.add(
      codes: try Codes(
        count: n, blockCount: m, codewordCount: k, values: (0..<(n * m)).map { _ in rng.nextInt(below: k) }))
    let queries = try Tensor.randomNormal([nq, d], using: &rng)
    report(
      "OpenBLAS core \(BLAS.coreName), \(engineThreadCount) BLAS threads, \(ProcessInfo.processInfo.activeProcessorCount) cores"
    )
    if part != "evaluate" {
      for threads in [1, 2] {
        _ = try index.search(queries: queries, k: 100, threads: threads) // warm-up
        let t = try median(5) { _ = try index.search(queries: queries, k: 100, threads: threads) }
        report(
          "search top-100, \(nq) queries x \(n) items, 32 bits, \(threads) thread(s): \(Int(Double(nq) / t.wall)) queries/s wall, \(Int(Double(nq) / t.cpu)) queries per CPU-second"
        )
      }
      var l2 = try Index(layout: index.layout, metric: .squaredL2)
      try l2.add(codes: index.codes)
      let tl2 = try median(3) { _ = try l2.search(queries: queries, k: 100, threads: 2) }
      report(
        "search top-100 squared L2, 2 threads: \(Int(Double(nq) / tl2.wall)) queries/s wall, \(Int(Double(nq) / tl2.cpu)) per CPU-second"
      )
      let t8 = try median(3) { _ = try index.search(queries: queries, k: 100, blocks: 1, threads: 2) }
      report(
        "search top-100 at 8 bits, 2 threads: \(Int(Double(nq) / t8.wall)) queries/s wall, \(Int(Double(nq) / t8.cpu)) per CPU-second"
      )
    }

    if part == "search" { return }
    let relevance = Relevance(
      queries: try LabelSets(labels: (0..<nq).map { _ in rng.nextInt(below: 10) }),
      database: try LabelSets(labels: (0..<n).map { _ in rng.nextInt(below: 10) }))
    for threads in [1, 2] {
      var result: Evaluation?
      let t = try median(3) { result = try index.evaluate(queries: queries, relevance: relevance, threads: threads) }
      report(
        "evaluate mAP@all + P@N + PR curves, blocks 1...4 in one pass, \(nq) queries, \(threads) thread(s): \(fmt(t.wall * 1000)) ms wall, \(fmt(t.cpu * 1000)) ms CPU"
      )
      if threads == 2, let result { print(result) }
    }
  }

  func fmt(_ x: Double) -> String { String(format: "%.1f", x) }

  /// Prints at once (test output is otherwise buffered until the end).
  func report(_ line: String) {
    print(line)
    fflush(nil) // every stream: Swift 6 does not let tests touch the global `stdout`
  }
}
