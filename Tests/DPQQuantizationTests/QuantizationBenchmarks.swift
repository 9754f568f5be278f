import Foundation
import Testing
import DPQTensor
@testable import DPQQuantization

/// Training and encoding times on 5,000 x 300 Gaussian data, K = 256, 4 blocks (32-bit codes, the
/// size of DPQ's 4 blocks). Measurements, not checks: run with
/// `DPQ_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter QuantizationBenchmarks`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DPQ_BENCH"] != nil), .serialized)
struct QuantizationBenchmarks {
  static let runs = Int(ProcessInfo.processInfo.environment["DPQ_BENCH_RUNS"] ?? "3") ?? 3

  /// Median wall time of `runs` calls of `body`, and its last result.
  func time<R>(_ body: () throws -> R) rethrows -> (seconds: Double, result: R) {
    var times: [Double] = []
    var last: R? = nil
    for _ in 0..<Self.runs {
      let start = DispatchTime.now().uptimeNanoseconds
      last = try body()
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return (times.sorted()[times.count / 2], last!)
  }

  @Test func trainingTimes() throws {
    #if DEBUG
    print("note: debug build (numeric targets are -O anyway); measure with -c release")
    #endif
    print("OpenBLAS core \(BLAS.coreName), threads \(BLAS.threadCount), workers \(Parallel.workerCount), median of \(Self.runs) runs")
    let x = try TestData.gaussian(5_000, 300, seed: 1)
    let held = try TestData.gaussian(2_000, 300, seed: 2)
    func row(_ name: String, _ t: Double, _ extra: String) { print(name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%8.3f s  ", t) + extra) }

    let seeding = try time { try KMeans(k: 256, iterations: 0, seed: 1).fit(x) }
    row("k-means++ seeding K=256", seeding.seconds, "")
    let km = try time { try KMeans(k: 256, iterations: 25, seed: 1).fit(x) }
    row("k-means K=256, 25 it", km.seconds, "iterations \(km.result.objectives.count), objective \(km.result.objective ?? .nan), converged \(km.result.converged)")
    let assign = try time { try x.nearestRows(of: km.result.centroids) }
    row("  one assignment pass (n=5000)", assign.seconds, String(format: "%.1f GFLOP/s in the sgemm part", 2.0 * 5_000 * 256 * 300 / assign.seconds / 1e9))

    let pq = try time { () -> ProductQuantizer in
      var q = try ProductQuantizer(dimension: 300, subspaceCount: 4); try q.train(x); return q
    }
    let pqEncode = try time { try pq.result.encode(x) }
    row("PQ M=4 K=256 train", pq.seconds, String(format: "distortion train %.4f held-out %.4f; encode 5000: %.4f s",
                                                  try pq.result.relativeDistortion(x), try pq.result.relativeDistortion(held), pqEncode.seconds))
    let opq = try time { () -> OptimizedProductQuantizer in
      var q = try OptimizedProductQuantizer(dimension: 300, subspaceCount: 4); try q.train(x); return q
    }
    let opqEncode = try time { try opq.result.encode(x) }
    row("OPQ M=4 K=256 train (20x4)", opq.seconds, String(format: "distortion train %.4f held-out %.4f; encode 5000: %.4f s",
                                                          try opq.result.relativeDistortion(x), try opq.result.relativeDistortion(held), opqEncode.seconds))
    let rq = try time { () -> ResidualQuantizer in
      var q = try ResidualQuantizer(dimension: 300, blockCount: 4); try q.train(x); return q
    }
    let rqEncode = try time { try rq.result.encode(x) }
    row("RQ M=4 K=256 train", rq.seconds, String(format: "distortion train %.4f held-out %.4f; greedy encode 5000: %.4f s",
                                                 try rq.result.relativeDistortion(x), try rq.result.relativeDistortion(held), rqEncode.seconds))
    var beam = rq.result
    beam.beamWidth = 8
    let beamEncode = try time { try beam.encode(x) }
    row("RQ beam 8 encode 5000", beamEncode.seconds, String(format: "distortion train %.4f held-out %.4f",
                                                            try beam.relativeDistortion(x), try beam.relativeDistortion(held)))
  }
}
