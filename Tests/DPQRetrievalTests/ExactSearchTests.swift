import DPQTensor
import Testing

@testable import DPQRetrieval

@Suite struct ExactSearchTests {
  /// One query at 0 on a line; database at 1, -2, 3, 0.5, 2 with labels 0, 1, 0, 1, 0 (query label 0).
  /// L2 ranking: 0.5 (id 3, no), 1 (id 0, yes), -2 and 2 tie (ids 1 no, 4 yes: position breaks the
  /// tie), 3 (id 2, yes): relevance n y n y y -> AP = (1/2 + 2/4 + 3/5) / 3 = 0.5333...
  /// Inner product with query 1: 3, 2, 1, 0.5, -2 -> ids 2 y, 4 y, 0 y, 3 n, 1 n -> AP = 1.
  @Test func handWorkedRankings() throws {
    let database = try Tensor([[1], [-2], [3], [0.5], [2]])
    let relevance = Relevance(queries: try LabelSets(labels: [0]), database: try LabelSets(labels: [0, 1, 0, 1, 0]))
    let l2 = try ExactSearch.meanAveragePrecision(
      queries: Tensor([[0]]), database: database, relevance: relevance, metric: .squaredL2)
    #expect(abs(l2 - (0.5 + 0.5 + 0.6) / 3) < 1e-12)
    let ip = try ExactSearch.meanAveragePrecision(
      queries: Tensor([[1]]), database: database, relevance: relevance, metric: .innerProduct)
    #expect(abs(ip - 1) < 1e-12)
    let top2 = try ExactSearch.meanAveragePrecision(
      queries: Tensor([[0]]), database: database, relevance: relevance,
      metric: .squaredL2, at: 2)
    #expect(abs(top2 - 0.5) < 1e-12)
    #expect(throws: RetrievalError.self) {
      try ExactSearch.meanAveragePrecision(
        queries: Tensor([[0, 1]]), database: database, relevance: relevance, metric: .squaredL2)
    }
  }
}
