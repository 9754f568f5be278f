import Foundation
import Testing
import DPQTensor
import DPQRetrieval

/// Search and evaluation speed on the reference size (69,000 items, 4 blocks of K = 256, D = 300,
/// 1,000 queries). Reports, never asserts. Runs only with DPQ_BENCH=1, best in a release build:
/// `DPQ_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter RetrievalBenchmark`.
@Suite struct RetrievalBenchmark {
  static var enabled: Bool { ProcessInfo.processInfo.environment["DPQ_BENCH"] == "1" }

  /// Median wall time of `runs` calls, in seconds.
  func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs {
      let start = DispatchTime.now().uptimeNanoseconds
      try body()
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.sorted()[runs / 2]
  }

  @Test(.enabled(if: RetrievalBenchmark.enabled))
  func searchAndEvaluateAtReferenceSize() throws {
    let (n, nq, m, k, d) = (69_000, 1_000, 4, 256, 300)
    var rng = RandomGenerator(seed: 2024)
    var index = try Index(layout: .additive(codebooks: try Tensor.randomNormal([m, k, d], std: 0.1, using: &rng)))
    try index.add(codes: try Codes(count: n, blockCount: m, codewordCount: k, values: (0..<(n * m)).map { _ in rng.nextInt(below: k) }))
    let queries = try Tensor.randomNormal([nq, d], using: &rng)
    print("OpenBLAS core \(BLAS.coreName), \(BLAS.threadCount) BLAS threads, \(ProcessInfo.processInfo.activeProcessorCount) cores")
    for threads in [1, 2] {
      _ = try index.search(queries: queries, k: 100, threads: threads)   // warm-up
      let t = try median(5) { _ = try index.search(queries: queries, k: 100, threads: threads) }
      print("search top-100, \(nq) queries x \(n) items, 32 bits, \(threads) thread(s): \(Int(Double(nq) / t)) queries/s (\(fmt(t * 1000)) ms)")
    }
    var l2 = try Index(layout: index.layout, metric: .squaredL2)
    try l2.add(codes: index.codes)
    let tl2 = try median(3) { _ = try l2.search(queries: queries, k: 100, threads: 2) }
    print("search top-100 squared L2, 2 threads: \(Int(Double(nq) / tl2)) queries/s")
    let t8 = try median(3) { _ = try index.search(queries: queries, k: 100, blocks: 1, threads: 2) }
    print("search top-100 at 8 bits, 2 threads: \(Int(Double(nq) / t8)) queries/s")

    let relevance = Relevance(queries: try LabelSets(labels: (0..<nq).map { _ in rng.nextInt(below: 10) }),
                              database: try LabelSets(labels: (0..<n).map { _ in rng.nextInt(below: 10) }))
    for threads in [1, 2] {
      var result: Evaluation?
      let t = try median(3) { result = try index.evaluate(queries: queries, relevance: relevance, threads: threads) }
      print("evaluate mAP@all + P@N + PR curves, blocks 1...4 in one pass, \(threads) thread(s): \(fmt(t * 1000)) ms")
      if threads == 2, let result { print(result) }
    }
  }

  func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
}
