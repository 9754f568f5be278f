import DPQRetrieval
import Foundation

extension ReferenceExperiment {
  /// The same experiment over several training seeds on one split: every cell's mean and
  /// standard deviation over the seeds, and DPQ minus the best baseline paired over the queries
  /// (each query's AP difference averaged over the seeds first).
  public struct SeedSummary: Sendable {
    public struct Cell: Sendable {
      public let mean: Double
      /// Sample standard deviation over the seeds (0 for one seed).
      public let standardDeviation: Double

      public init(mean: Double, standardDeviation: Double) {
        self.mean = mean
        self.standardDeviation = standardDeviation
      }
    }

    public struct Row: Sendable {
      public let method: String
      public let baseMethod: String
      public let ranking: Ranking
      public let map: [Int: Cell]
    }

    public let seeds: [UInt64]
    public let results: [Result]
    public let rows: [Row]
    public let comparisons: [Comparison]
    public let accuracy: Cell

    /// Summarises runs that share the split (and so the queries), one per seed.
    public init(seeds: [UInt64], results: [Result]) throws {
      guard let first = results.first, seeds.count == results.count else {
        throw ExperimentError.noResults
      }
      self.seeds = seeds
      self.results = results
      func cell(_ values: [Double]) -> Cell {
        let n = Double(values.count)
        let m = values.reduce(0, +) / n
        let sd = values.count > 1 ? (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot() : 0
        return Cell(mean: m, standardDeviation: sd)
      }
      var rows: [Row] = []
      for row in first.rows {
        let same = results.compactMap { r in r.rows.first { $0.method == row.method } }
        var map: [Int: Cell] = [:]
        for b in first.bits { map[b] = cell(same.compactMap { $0.map[b] }) }
        rows.append(Row(method: row.method, baseMethod: row.baseMethod, ranking: row.ranking, map: map))
      }
      self.rows = rows
      accuracy = cell(results.map(\.testAccuracy))
      // Per-query APs averaged over the seeds, then paired.
      func meanAPs(_ method: String, bits: Int) -> [Double]? {
        let lists = results.compactMap { r in r.rows.first { $0.method == method }?.averagePrecisions[bits] }
        guard lists.count == results.count, let n = lists.first?.count, lists.allSatisfy({ $0.count == n }) else {
          return nil
        }
        return (0..<n).map { i in lists.reduce(0) { $0 + $1[i] } / Double(lists.count) }
      }
      var comparisons: [Comparison] = []
      for ranking in first.rankings {
        guard let dpq = rows.first(where: { $0.ranking == ranking && $0.baseMethod == "DPQ" }) else { continue }
        let baselines = rows.filter { $0.ranking == ranking && ["PQ", "OPQ", "RQ"].contains($0.baseMethod) }
        for b in first.bits {
          guard let best = baselines.filter({ $0.map[b] != nil }).max(by: { $0.map[b]!.mean < $1.map[b]!.mean }),
            let a = meanAPs(dpq.method, bits: b), let other = meanAPs(best.method, bits: b)
          else { continue }
          comparisons.append(
            Comparison(ranking: ranking, bits: b, baseline: best.baseMethod, difference: try PairedDifference(a, other))
          )
        }
      }
      self.comparisons = comparisons
    }
  }

  /// Runs the experiment once per seed (`seed`, `seed + 1`, ...), all on the split of `seed`.
  public func runSeeds(_ count: Int) throws -> SeedSummary { try runSeedsKeepingArtifacts(count).summary }

  /// `runSeeds`, keeping the first seed's model, split, index and evaluation.
  public func runSeedsKeepingArtifacts(_ count: Int) throws -> (summary: SeedSummary, artifacts: Artifacts) {
    guard count >= 1 else {
      throw ExperimentError.invalidArgument("the number of seeds must be at least 1 (got \(count))")
    }
    var results: [Result] = []
    var seeds: [UInt64] = []
    var first: Artifacts? = nil
    for i in 0..<count {
      var o = options
      o.splitSeed = options.splitSeed ?? options.seed
      o.seed = options.seed &+ UInt64(i)
      o.training.seed = o.seed
      if count > 1, let path = options.modelPath {
        o.modelPath = path.replacingOccurrences(of: ".safetensors", with: "") + "-seed\(o.seed).safetensors"
      }
      var run = ReferenceExperiment(options: o)
      run.report = report
      run.shouldStop = shouldStop
      report("seed \(o.seed) (\(i + 1) of \(count))")
      let (result, artifacts) = try run.runKeepingArtifacts()
      results.append(result)
      seeds.append(o.seed)
      if first == nil { first = artifacts }
      if shouldStop?() ?? false { break }
    }
    return (try SeedSummary(seeds: seeds, results: results), first!)
  }
}
