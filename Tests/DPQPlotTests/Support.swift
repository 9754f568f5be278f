import DPQTensor
import Foundation
import Testing

@testable import DPQPlot

/// A directory for this run's images, removed when the test process exits; set
/// DPQ_PLOT_KEEP=/some/dir to keep them for inspection.
let outputDirectory: String = {
  let env = ProcessInfo.processInfo.environment
  let dir = env["DPQ_PLOT_KEEP"] ?? (NSTemporaryDirectory() + "dpq-plot-tests-\(getpid())")
  try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  if env["DPQ_PLOT_KEEP"] == nil { atexit(removeOutputDirectory) }
  return dir
}()

/// Removes `outputDirectory` (at exit; tests may still use it until then).
func removeOutputDirectory() {
  try? FileManager.default.removeItem(atPath: outputDirectory)
}

/// Renders with warnings treated as errors, so any complaint from gnuplot fails the test.
let strictRenderer = Renderer(timeout: 60, warningsAreErrors: true)

/// Renders `figure` to `name`.png and `name`.svg and checks both files.
func renderPNGAndSVG(_ figure: Figure, name: String) throws {
  let png = outputDirectory + "/\(name).png"
  let svg = outputDirectory + "/\(name).svg"
  try? FileManager.default.removeItem(atPath: png)
  try? FileManager.default.removeItem(atPath: svg)
  try strictRenderer.save(figure, to: png)
  try strictRenderer.save(figure, to: svg)
  let pngData = try #require(FileManager.default.contents(atPath: png))
  #expect(pngData.count > 1000)
  #expect(Array(pngData.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
  let svgData = try #require(FileManager.default.contents(atPath: svg))
  #expect(String(decoding: svgData, as: UTF8.self).contains("<svg"))
  #expect(svgData.count > 1000)
  // Text art too: the same script on the dumb terminal must also run cleanly.
  let text = try strictRenderer.render(figure, to: .terminal(columns: 120, rows: 40))
  #expect(!text.contains("\u{0C}") && !text.isEmpty)
  try text.write(toFile: outputDirectory + "/\(name).txt", atomically: true, encoding: .utf8)
}

/// Seeded synthetic results shared by the tests.
enum Synthetic {
  static func trainingLog(epochs: Int = 30) -> (
    losses: [(name: String, values: [Double])], accuracies: [(name: String, values: [Double])]
  ) {
    var rng = RandomGenerator(seed: 11)
    func noisy(_ f: (Double) -> Double) -> [Double] {
      (0..<epochs).map { e in min(f(Double(e)) * (1 + 0.04 * Double(rng.nextNormal())), 3) }
    }
    func accuracy(_ f: (Double) -> Double) -> [Double] { noisy(f).map { min($0, 1) } }
    return (
      [
        ("classification", noisy { 2.3 * exp(-$0 / 6) + 0.15 }),
        ("quantization (soft)", noisy { 0.9 * exp(-$0 / 9) + 0.08 }),
        ("quantization (hard)", noisy { 1.1 * exp(-$0 / 10) + 0.12 }),
        ("triplet", noisy { 0.5 * exp(-$0 / 5) + 0.05 }),
      ],
      [
        ("train accuracy", accuracy { 0.95 - 0.85 * exp(-$0 / 5) }),
        ("validation accuracy", accuracy { 0.90 - 0.80 * exp(-$0 / 6) }),
      ]
    )
  }

  static let bits = [8, 16, 24, 32]

  static func mapResults() -> [(method: String, bits: [Int], map: [Double])] {
    [
      ("DPQ", bits, [0.712, 0.781, 0.797, 0.812]), ("PQ", bits, [0.418, 0.552, 0.601, 0.634]),
      ("OPQ", bits, [0.455, 0.589, 0.633, 0.660]), ("RQ", bits, [0.472, 0.571, 0.612, 0.641]),
    ]
  }

  /// PR curves shaped like p(r) = p1 - (p1 - p0) r^a.
  static func prCurves(methods: [String] = ["DPQ", "PQ"], bits: [Int] = [16, 32]) -> [PRCurve] {
    var curves: [PRCurve] = []
    for (m, method) in methods.enumerated() {
      for b in bits {
        let top = 0.95 - 0.15 * Double(m) - 0.1 * Double(32 - b) / 24
        let recall = (0...20).map { Double($0) / 20 }
        let precision = recall.map { r in top - (top - 0.1) * pow(r, 2.5 - 0.6 * Double(m)) }
        curves.append(PRCurve(method: method, bits: b, recall: recall, precision: precision))
      }
    }
    return curves
  }

  static func precisionAtN() -> [PrecisionAtNCurve] {
    var curves: [PrecisionAtNCurve] = []
    for (m, method) in ["DPQ", "PQ", "OPQ"].enumerated() {
      for b in [16, 32] {
        let n = [1, 5, 10, 20, 50, 100, 200, 500, 1000]
        let p = n.map { 0.9 - 0.1 * Double(m) - 0.05 * Double(32 - b) / 16 - 0.05 * log10(Double($0)) * Double(m + 1) }
        curves.append(PrecisionAtNCurve(method: method, bits: b, n: n, precision: p))
      }
    }
    return curves
  }

  /// Codeword counts for M blocks of K codewords with increasingly skewed usage.
  static func codewordCounts(blocks: Int = 4, codewords: Int = 64) -> [[Int]] {
    var rng = RandomGenerator(seed: 5)
    return (0..<blocks).map { m in
      (0..<codewords).map { k in
        let weight = exp(-Double(k) * Double(m + 1) / Double(codewords) * 2)
        let dead = m == 3 && k % 5 == 0
        return dead ? 0 : Int(400 * weight * (0.7 + 0.6 * Double(rng.nextUniform())))
      }
    }
  }

  /// `perClass` points around each of `classes` well separated centres in `dimension` dimensions.
  static func clusters(classes: Int, perClass: Int, dimension: Int, separation: Float, seed: UInt64) throws -> (
    Tensor, [Int]
  ) {
    var rng = RandomGenerator(seed: seed)
    let centres = (0..<classes).map { _ in (0..<dimension).map { _ in separation * rng.nextNormal() } }
    var values: [Float] = []
    var labels: [Int] = []
    for c in 0..<classes {
      for _ in 0..<perClass {
        values.append(contentsOf: centres[c].map { $0 + rng.nextNormal() })
        labels.append(c)
      }
    }
    return (try Tensor(shape: [classes * perClass, dimension], scalars: values), labels)
  }

  /// `count` images [count, channels, size, size] in [0, 1]: a bright disc (gray) or a coloured
  /// square whose position and colour depend on the index.
  static func images(count: Int, channels: Int, size: Int) throws -> Tensor {
    var values: [Float] = []
    var rng = RandomGenerator(seed: 3)
    for i in 0..<count {
      let cx = Float(size) * (0.3 + 0.4 * Float(i % 3) / 2)
      let cy = Float(size) * (0.3 + 0.4 * Float((i / 3) % 3) / 2)
      for ch in 0..<channels {
        for y in 0..<size {
          for x in 0..<size {
            let dx = Float(x) - cx
            let dy = Float(y) - cy
            let inside =
              channels == 1
              ? dx * dx + dy * dy < Float(size * size) / 16 : abs(dx) < Float(size) / 5 && abs(dy) < Float(size) / 5
            let tint: Float = channels == 1 ? 1 : [Float(i % 2), Float((i / 2) % 2), 0.6][ch]
            values.append(inside ? tint : 0.1 * rng.nextUniform())
          }
        }
      }
    }
    return try Tensor(shape: [count, channels, size, size], scalars: values)
  }
}
