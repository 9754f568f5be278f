import Foundation

/// Wall-clock timing for the benchmarks: medians over repeated runs, never a single sample.
enum Stopwatch {
  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  /// Runs `body` `warmup` times untimed, then `runs` times, and returns the sorted durations in seconds.
  static func measure(runs: Int, warmup: Int = 1, _ body: () throws -> Void) rethrows -> [Double] {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<runs {
      let t0 = now()
      try body()
      times.append(now() - t0)
    }
    return times.sorted()
  }

  static func median(_ sorted: [Double]) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
  }
}
