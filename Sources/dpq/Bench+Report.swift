import DPQTensor
import Foundation

/// One measured workload of a benchmark suite: every run's value, so the collecting script can
/// take medians across alternating dpq and peer invocations.
struct BenchMeasurement {
  /// Stable key shared with the peer's output ("search/dpq-ip/t2").
  let workload: String
  /// What the values are ("images/s", "s", "queries/s", "relative distortion", "mAP@all").
  let unit: String
  /// Whether a larger value is better (throughput) or a smaller one (seconds, distortion).
  let higherIsBetter: Bool
  let values: [Double]
  /// Settings that make the number reproducible (shapes, iterations, seeds, threads).
  var info: [String: Any] = [:]

  var json: [String: Any] {
    ["workload": workload, "unit": unit, "higher_is_better": higherIsBetter, "values": values, "info": info]
  }
}

/// Collects a suite's measurements and prints them as an aligned table or as one JSON document.
struct BenchReport {
  let suite: String
  var measurements: [BenchMeasurement] = []
  var notes: [String] = []

  mutating func add(_ m: BenchMeasurement) {
    measurements.append(m)
    benchLog("\(m.workload): \(m.values.map { formatValue($0) }.joined(separator: ", ")) \(m.unit)")
  }

  /// The JSON document `scripts/bench` reads: suite, machine facts, measurements and notes.
  func jsonText() throws -> String {
    let object: [String: Any] = [
      "suite": suite, "tool": "dpq \(DPQCommand.version)",
      "machine": [
        "openblas_core": BLAS.coreName, "openblas_threads": engineThreadCount,
        "cores": ProcessInfo.processInfo.activeProcessorCount,
      ],
      "results": measurements.map(\.json), "notes": notes,
    ]
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  func summaryText() -> String {
    let rows = measurements.map { m -> [String] in
      let sorted = m.values.sorted()
      return [m.workload, formatValue(Stopwatch.median(sorted)), m.unit, "\(m.values.count)"]
    }
    return tableText(header: ["workload", "median", "unit", "runs"], rows: rows)
  }

  func emit(json: Bool) throws {
    if json {
      print(try jsonText())
    } else {
      print(summaryText())
      for n in notes { print("note: \(n)") }
    }
  }
}

/// Progress lines go to standard error, so `--json` output on standard output stays parseable.
func benchLog(_ line: String) {
  FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
}

func formatValue(_ v: Double) -> String {
  if v == 0 || !v.isFinite { return "\(v)" }
  let a = abs(v)
  if a >= 100 { return String(format: "%.0f", v) }
  if a >= 1 { return String(format: "%.3f", v) }
  return String(format: "%.4g", v)
}
