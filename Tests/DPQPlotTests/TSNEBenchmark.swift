import DPQTensor
import Foundation
import Testing

@testable import DPQPlot

/// Timing of exact t-SNE at the size it is meant for: DPQ_PLOT_BENCH=1 swift test -c release
/// --filter tsneTwoThousandPoints (DPQPlot is not built with -O in debug, where this takes minutes).
@Test(.enabled(if: ProcessInfo.processInfo.environment["DPQ_PLOT_BENCH"] != nil))
func tsneTwoThousandPoints() throws {
  let (x, _) = try Synthetic.clusters(classes: 10, perClass: 200, dimension: 64, separation: 2, seed: 1)
  let start = Date()
  let y = try TSNE.embed(x, options: TSNEOptions(perplexity: 30, iterations: 1000))
  let seconds = Date().timeIntervalSince(start)
  print("t-SNE of 2000 x 64 points, 1000 iterations: \(String(format: "%.2f", seconds)) s")
  #expect(y.shape == [2000, 2])
}
