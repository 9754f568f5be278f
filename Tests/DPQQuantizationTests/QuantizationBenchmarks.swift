import DPQTensor
import Foundation
import Testing

@testable import DPQQuantization

/// Training and encoding times on 5,000 x 300 Gaussian data, K = 256, 4 blocks (32-bit codes, the
/// size of DPQ's 4 blocks). Measurements, not checks: run with
/// `DPQ_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter QuantizationBenchmarks`
/// (`DPQ_BENCH_RUNS` sets the runs per figure, median reported).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DPQ_BENCH"] != nil), .serialized)
struct QuantizationBenchmarks {
  static let runs = max(1, Int(ProcessInfo.processInfo.environment["DPQ_BENCH_RUNS"] ?? "3") ?? 3)

  struct Timing<R> {
    var wall: Double
    var cpu: Double
    var result: R
    var text: String { String(format: "%7.3f s wall %7.3f s cpu", wall, cpu) }
  }

  /// Process CPU seconds over all threads.
  static func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// Median wall and CPU time of `runs` calls (on a shared machine the wall time includes waiting
  /// for other processes; the CPU time counts every thread, OpenBLAS's spinning ones included).
  func time<R>(_ body: () throws -> R) rethrows -> Timing<R> {
    var wall: [Double] = []
    var cpu: [Double] = []
    var last: R? = nil
    for _ in 0..<Self.runs {
      let start = DispatchTime.now().uptimeNanoseconds
      let c0 = Self.cpuSeconds()
      last = try body()
      wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      cpu.append(Self.cpuSeconds() - c0)
    }
    return Timing(wall: wall.sorted()[wall.count / 2], cpu: cpu.sorted()[cpu.count / 2], result: last!)
  }

  func row(_ name: String, _ timing: String, _ extra: String = "") {
    print(name.padding(toLength: 30, withPad: " ", startingAt: 0) + timing + (extra.isEmpty ? "" : "  " + extra))
  }

  @Test func trainingTimes() throws {
    #if DEBUG
      print("note: debug build (numeric targets are -O anyway); measure with -c release")
    #endif
    var load = "?"
    if let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) {
      load = String(s.split(separator: " ")[0])
    }
    print(
      "OpenBLAS core \(BLAS.coreName), threads \(engineThreadCount), workers \(Parallel.workerCount), load average \(load), median of \(Self.runs) runs"
    )
    let x = try TestData.gaussian(5_000, 300, seed: 1)
    let held = try TestData.gaussian(2_000, 300, seed: 2)
    func distortion(_ q: any VectorQuantizer) throws -> String {
      String(format: "distortion train %.4f held-out %.4f", try q.relativeDistortion(x), try q.relativeDistortion(held))
    }

    let seeding = try time { try KMeans(k: 256, iterations: 0, seed: 1).fit(x) }
    row("k-means++ seeding K=256", seeding.text)
    let km = try time { try KMeans(k: 256, iterations: 25, seed: 1).fit(x) }
    row(
      "k-means K=256 (<= 25 it)", km.text,
      String(
        format: "%d iterations, converged %@, objective %.0f",
        km.result.objectives.count, "\(km.result.converged)", km.result.objective ?? .nan))
    let assign = try time { try x.nearestRows(of: km.result.centroids) }
    row(
      "  one assignment pass", assign.text,
      String(format: "%.1f GFLOP/s of cpu time", 2.0 * 5_000 * 256 * 300 / assign.cpu / 1e9))

    let pq = try time { () -> ProductQuantizer in
      var q = try ProductQuantizer(dimension: 300, subspaceCount: 4)
      try q.train(x)
      return q
    }
    row("PQ M=4 train", pq.text, try distortion(pq.result))
    row("  PQ encode 5,000", try time { try pq.result.encode(x) }.text)
    let opq = try time { () -> OptimizedProductQuantizer in
      var q = try OptimizedProductQuantizer(dimension: 300, subspaceCount: 4)
      try q.train(x)
      return q
    }
    row("OPQ M=4 train (20 x 4 it)", opq.text, try distortion(opq.result))
    row("  OPQ encode 5,000", try time { try opq.result.encode(x) }.text)
    let rq = try time { () -> ResidualQuantizer in
      var q = try ResidualQuantizer(dimension: 300, blockCount: 4)
      try q.train(x)
      return q
    }
    row("RQ M=4 train", rq.text, try distortion(rq.result))
    row("  RQ greedy encode 5,000", try time { try rq.result.encode(x) }.text)
    var beam = rq.result
    beam.beamWidth = 8
    row("  RQ beam 8 encode 5,000", try time { try beam.encode(x) }.text, try distortion(beam))
  }
}
