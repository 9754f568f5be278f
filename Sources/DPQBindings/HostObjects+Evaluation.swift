import DPQExperiment
import DPQLanguage
import DPQPlot
import DPQRetrieval

/// Retrieval quality of one index at several code lengths; prints as an aligned table.
final class EvaluationObject: ScriptHost {
  package static let scriptType = "evaluation"
  var evaluation: Evaluation

  init(_ evaluation: Evaluation) { self.evaluation = evaluation }

  var description: String { evaluation.description }

  /// `8`, or `7.5` for a code length that is not a whole number of bits.
  static func bitsKey(_ bits: Double) -> String { Value.format(number: bits) }

  /// A record keyed by code length in bits.
  func byBits(_ value: (Evaluation.CodeLength) -> Value) -> Value {
    .fields(evaluation.codeLengths.map { (EvaluationObject.bitsKey($0.bits), value($0)) })
  }

  func prCurves(interpolated: Bool) -> [PRCurve] {
    evaluation.codeLengths.map { c in
      let curve = interpolated ? c.interpolatedPrecisionRecall : c.precisionRecall
      return PRCurve(
        method: evaluation.method.isEmpty ? "index" : evaluation.method, bits: Int(c.bits.rounded()),
        recall: curve.recall, precision: curve.precision)
    }
  }

  func precisionAtN() -> [PrecisionAtNCurve] {
    evaluation.codeLengths.map { c in
      PrecisionAtNCurve(
        method: evaluation.method.isEmpty ? "index" : evaluation.method, bits: Int(c.bits.rounded()),
        n: c.precisionRecall.cutoffs, precision: c.precisionRecall.precision)
    }
  }

  func setAttribute(_ name: String, _ value: Value) throws -> Bool {
    guard name == "method" else { return false }
    guard case .string(let s) = value else {
      throw ScriptError.failure("method must be a string, got \(value.typeName)")
    }
    evaluation.method = s
    return true
  }
}

/// Precision-recall curves (one per method and code length), ready to plot.
final class PRCurvesObject: ScriptHost {
  package static let scriptType = "pr_curves"
  let curves: [PRCurve]
  let interpolated: Bool

  init(_ curves: [PRCurve], interpolated: Bool) {
    self.curves = curves
    self.interpolated = interpolated
  }

  var description: String {
    var rows = [["method", "bits", "points", "P at R~0.5", "R at end"]]
    for c in curves {
      let mid = c.recall.indices.min { abs(c.recall[$0] - 0.5) < abs(c.recall[$1] - 0.5) }
      rows.append([
        c.method, String(c.bits), String(c.recall.count), mid.map { Format.fixed(c.precision[$0], 4) } ?? "-",
        c.recall.last.map { Format.fixed($0, 4) } ?? "-",
      ])
    }
    return "\(interpolated ? "interpolated " : "")precision-recall curves (plot(...) draws them)\n" + Format.table(rows)
  }
}

/// Several evaluations in one table (one row per method and code length).
final class ComparisonObject: ScriptHost {
  package static let scriptType = "comparison"
  let evaluations: [Evaluation]

  init(_ evaluations: [Evaluation]) { self.evaluations = evaluations }

  var description: String { Evaluation.table(evaluations) }
}

/// The result of the reference experiment: every method's mAP by code length, the training log.
final class ExperimentObject: ScriptHost {
  package static let scriptType = "experiment"
  let result: ReferenceExperiment.Result
  /// The trained model, normalised split and DPQ's index and evaluation (nil for a result made
  /// without them).
  let artifacts: ReferenceExperiment.Artifacts?
  /// The model, split and index as script values, made once so that `ex.model` is one object.
  private(set) lazy var model: ModelObject? = artifacts.map { a in
    let m = ModelObject(a.model)
    m.log = TrainingLogObject(result.log, requested: result.log.count, stopped: false)
    return m
  }
  private(set) lazy var split: SplitObject? = artifacts.map { SplitObject($0.split) }

  /// The seed summary of `experiment(..., seeds: N)`; `result` is then the first seed's run.
  let summary: ReferenceExperiment.SeedSummary?

  /// The training seed of a single run.
  private let runSeed: UInt64

  init(_ result: ReferenceExperiment.Result, artifacts: ReferenceExperiment.Artifacts? = nil, seed: UInt64 = 0) {
    self.result = result
    self.artifacts = artifacts
    summary = nil
    runSeed = seed
  }

  init(_ summary: ReferenceExperiment.SeedSummary, artifacts: ReferenceExperiment.Artifacts? = nil) {
    result = summary.results[0]
    self.artifacts = artifacts
    self.summary = summary
    runSeed = summary.seeds[0]
  }

  /// The first run's training seed (the first of a seed summary's).
  var seed: UInt64 { runSeed }

  /// DPQ minus the best baseline: over the seeds' mean per-query APs when there are several.
  var comparisons: [ReferenceExperiment.Comparison] { summary?.comparisons ?? result.comparisons }

  /// A row's mAP by bits: the mean over the seeds when there are several.
  func meanMAP(_ row: ReferenceExperiment.Row) -> [Int: Double] {
    guard let s = summary?.rows.first(where: { $0.method == row.method }) else { return row.map }
    return s.map.mapValues(\.mean)
  }

  /// A record by method, then by bits, of one statistic of each cell (one seed: mean = the value, sd 0).
  func cells(_ statistic: (ReferenceExperiment.SeedSummary.Cell) -> Double) -> Value {
    let bits = result.bits
    if let summary {
      return .fields(
        summary.rows.map { row in
          (row.method, .fields(bits.compactMap { b in row.map[b].map { (String(b), .number(statistic($0))) } }))
        })
    }
    return .fields(
      result.rows.map { row in
        (
          row.method,
          .fields(
            bits.compactMap { b in
              row.map[b].map { (String(b), .number(statistic(.init(mean: $0, standardDeviation: 0)))) }
            })
        )
      })
  }

  /// DPQ's database index as a script index: model encoder, database labels and images.
  func index() throws -> IndexObject? {
    guard let a = artifacts, let split else { return nil }
    let database = split.part("database").data
    return IndexObject(
      a.index, encoder: .model(a.model), labels: try EvaluationBindings.labelSets(database), items: database)
  }

  /// One table per ranking (every method ranked the same way in it), each closed by DPQ minus
  /// the best of PQ/OPQ/RQ and its paired 95 % interval.
  var description: String {
    if let summary { return seedDescription(summary) }
    var tables: [String] = []
    for ranking in result.rankings {
      var rows = [
        ["method"] + result.bits.map { "mAP \($0)b" } + [
          "P@100 \(result.bits.last ?? 0)b", "train s", "encode/s", "query/s",
        ]
      ]
      for row in result.rows where row.ranking == ranking {
        rows.append(
          [row.baseMethod] + result.bits.map { b in row.map[b].map { Format.fixed($0, 4) } ?? "-" }
            + [
              result.bits.last.flatMap { row.precisionAt100[$0] }.map { Format.fixed($0, 4) } ?? "-",
              Format.fixed(row.trainingSeconds, 1), Format.grouped(Int(row.encodingPerSecond.rounded())),
              Format.grouped(Int(row.queriesPerSecond.rounded())),
            ])
      }
      let comparisons = result.comparisons.filter { $0.ranking == ranking }
      if !comparisons.isEmpty {
        func cells(_ f: (ReferenceExperiment.Comparison) -> String) -> [String] {
          result.bits.map { b in comparisons.first { $0.bits == b }.map(f) ?? "-" } + ["", "", "", ""]
        }
        rows.append(["DPQ - best"] + cells { String(format: "%+.4f", $0.difference.mean) })
        rows.append(
          ["  95% interval"] + cells { String(format: "%+.3f..%+.3f", $0.difference.low, $0.difference.high) })
      }
      tables.append("\(ranking.rawValue): \(ranking.title)\n" + Format.table(rows))
    }
    var lines =
      ["experiment \(result.protocolName): \(result.split)"] + tables + [
        "DPQ query accuracy \(Format.fixed(result.testAccuracy * 100, 2))%"
      ]
    lines += result.notes.map { "note: " + $0 }
    return lines.joined(separator: "\n")
  }

  /// Mean ± sd per cell over the seeds, one table per ranking, closed by DPQ minus the best
  /// baseline paired over the seeds' mean per-query APs.
  func seedDescription(_ s: ReferenceExperiment.SeedSummary) -> String {
    let bits = result.bits
    var tables: [String] = []
    for ranking in result.rankings {
      var rows = [["method"] + bits.map { "mAP \($0)b" }]
      for row in s.rows where row.ranking == ranking {
        rows.append(
          [row.baseMethod]
            + bits.map { b in
              row.map[b].map { Format.fixed($0.mean, 4) + " ± " + Format.fixed($0.standardDeviation, 4) } ?? "-"
            })
      }
      let comparisons = s.comparisons.filter { $0.ranking == ranking }
      if !comparisons.isEmpty {
        func cells(_ f: (ReferenceExperiment.Comparison) -> String) -> [String] {
          bits.map { b in comparisons.first { $0.bits == b }.map(f) ?? "-" }
        }
        rows.append(["DPQ - best"] + cells { String(format: "%+.4f", $0.difference.mean) })
        rows.append(
          ["  95% interval"] + cells { String(format: "%+.3f..%+.3f", $0.difference.low, $0.difference.high) })
      }
      tables.append("\(ranking.rawValue): \(ranking.title)\n" + Format.table(rows))
    }
    var lines =
      [
        "experiment \(result.protocolName): \(result.split), \(s.seeds.count) seeds (\(s.seeds.map(String.init).joined(separator: ", ")))"
      ] + tables
    lines.append(
      "DPQ query accuracy \(Format.fixed(s.accuracy.mean * 100, 2))% (sd \(Format.fixed(s.accuracy.standardDeviation * 100, 2)))"
    )
    lines += result.notes.map { "note: " + $0 }
    return lines.joined(separator: "\n")
  }
}
