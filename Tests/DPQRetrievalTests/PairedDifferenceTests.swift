import Foundation
import Testing

@testable import DPQRetrieval

@Suite struct PairedDifferenceTests {
  @Test func handWorkedThreeQueries() throws {
    // APs of three queries under two methods: differences 0.1, 0.3, 0.3.
    // mean 0.7 / 3 = 0.23333; deviations -0.13333, 0.06667, 0.06667; variance (0.017778 + 2 * 0.004444) / 2
    // = 0.013333, sd 0.115470; half-width t_{0.975, 2} * sd / sqrt(3) = 4.303 * 0.066667 = 0.286867.
    let d = try PairedDifference([0.5, 0.7, 0.9], [0.4, 0.4, 0.6])
    #expect(d.count == 3)
    #expect(abs(d.mean - 0.7 / 3) < 1e-12)
    #expect(abs(d.standardDeviation - 0.115470) < 1e-6)
    #expect(abs(d.low - (0.233333 - 0.286867)) < 1e-5)
    #expect(abs(d.high - (0.233333 + 0.286867)) < 1e-5)
    #expect(!d.isPositive)
  }

  @Test func aConsistentLeadOverManyQueriesIsPositive() throws {
    // 1,000 queries, DPQ ahead by 0.01 on every one but for a +-0.005 alternation: sd 0.005,
    // half-width about 1.9623 * 0.005 / sqrt(1000) = 0.00031.
    let b = (0..<1000).map { Double($0 % 7) / 10 }
    let a = b.enumerated().map { $0.element + 0.01 + ($0.offset % 2 == 0 ? 0.005 : -0.005) }
    let d = try PairedDifference(a, b)
    #expect(abs(d.mean - 0.01) < 1e-12)
    #expect(d.isPositive)
    #expect(abs((d.high - d.low) / 2 - 1.9623 * d.standardDeviation / 1000.0.squareRoot()) < 1e-5)
  }

  @Test func tQuantileMatchesTheTable() {
    #expect(PairedDifference.tQuantile975(degreesOfFreedom: 1) == 12.706)
    #expect(PairedDifference.tQuantile975(degreesOfFreedom: 30) == 2.042)
    #expect(abs(PairedDifference.tQuantile975(degreesOfFreedom: 40) - 2.0211) < 2e-4)
    #expect(abs(PairedDifference.tQuantile975(degreesOfFreedom: 999) - 1.9623) < 1e-4)
  }

  @Test func unequalOrEmptyListsAreRefused() {
    #expect(throws: RetrievalError.self) { try PairedDifference([1, 2], [1]) }
    #expect(throws: RetrievalError.self) { try PairedDifference([], []) }
  }
}
