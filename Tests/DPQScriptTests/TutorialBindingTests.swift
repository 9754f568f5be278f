import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// Bindings the tutorials rely on: what the `experiment` builtin keeps besides its table (model,
/// split, index, evaluation) and its JSON file, plot_map's joining of one method's per-length
/// evaluations, and plot_lines with x values.
@Suite struct TutorialBindingTests {
  func run(_ source: String) -> (String, ScriptError?) {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    session.bindingSettings.figureDisplay = .summary
    if case .failure(let e) = session.run(source: source, file: "experiment.dpq") { return (sink.text, e) }
    return (sink.text, nil)
  }

  /// FM-small, one epoch, DPQ only (about ten seconds): the kept objects agree with the table,
  /// and the JSON file has the shape of `dpq experiment --json`.
  @Test func experimentKeepsItsModelSplitIndexAndEvaluationAndWritesJSON() throws {
    let path = NSTemporaryDirectory() + "dpq-experiment-\(getpid())/fm-small.json"
    defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    let (out, error) = run(
      """
      ex = experiment("fm-small", epochs: 1, baselines: false, augment: 0, json: "\(path)")
      print(type(ex.model), len(ex.model.log), type(ex.split), ex.split.query.count, ex.split.database.count)
      print(ex.index.count, ex.index.metric, ex.evaluation.bits, ex.evaluation.map["32"] == ex.map["DPQ"]["32"])
      # the kept model and split reproduce the table's accuracy and DPQ's mAP (the query features
      # are computed again, in other batches, so float rounding may flip a tie in the ranking)
      print(abs(ex.model.accuracy(ex.split.query) - ex.accuracy) < 0.01)
      # the main rows search with the query features by inner product; "DPQ (class)" with class queries
      q = ex.split.query
      again = evaluate(ex.index, ex.model.class_queries(q), query_labels: q.labels, bits: [8, 32])
      print(abs(again.map["8"] - ex.map["DPQ (class)"]["8"]) < 1e-3, abs(again.map["32"] - ex.map["DPQ (class)"]["32"]) < 1e-3)
      own = evaluate(ex.index, q, bits: [32])
      print(abs(own.map["32"] - ex.map["DPQ"]["32"]) < 1e-3)
      """)
    #expect(error == nil, "\(String(describing: error))")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.first == "model 1 split 200 5000")
    // class and feature queries both rank by inner product
    #expect(lines.dropFirst().first == "5000 ip [8, 16, 24, 32] true")
    #expect(lines.dropFirst(2).first == "true")
    #expect(lines.dropFirst(3).first == "true true")
    #expect(lines.dropFirst(4).first == "true")
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(json["protocol"] as? String == "fm-small")
    let map = try #require(json["map"] as? [String: [String: Double]])
    #expect(Set(map.keys) == ["DPQ", "DPQ (feature-l2)", "DPQ (class)"])
    #expect(Set(map["DPQ"]?.keys.map { $0 } ?? []) == ["8", "16", "24", "32"])
    #expect((json["epochs"] as? [Any])?.count == 1)
  }

  /// exact_map on the hand-worked ranking of ExactSearchTests: L2 from 0 gives n y n y y, AP 0.5333.
  @Test func exactMapOfUnquantizedVectors() {
    let (out, error) = run(
      """
      db = tensor([[1], [-2], [3], [0.5], [2]])
      print(round(exact_map(tensor([[0]]), db, query_labels: [0], database_labels: [0, 1, 0, 1, 0]) * 10000))
      print(exact_map(tensor([[1]]), db, query_labels: [0], database_labels: [0, 1, 0, 1, 0], metric: "ip"))
      """)
    #expect(error == nil, "\(String(describing: error))")
    #expect(out == "5333\n1\n", "\(out)")
    let (_, missing) = run("exact_map(tensor([[0]]), tensor([[1]]))")
    #expect(String(describing: missing).contains("labels needed"), "\(String(describing: missing))")
  }

  @Test func plotMapJoinsOneMethodsEvaluationsAtDifferentLengths() {
    let (out, error) = run(
      """
      d = blobs(n: 120, classes: 3, dim: 8, seed: 1)
      evs = []
      for m in [1, 2] {
        q = pq(d.features, subspaces: m, codewords: 16, seed: 1)
        e = evaluate(q.index(d.features, labels: d.labels), d.features, query_labels: d.labels, blocks: [m])
        e.method = "PQ"
        evs.append(e)
      }
      print(plot_map(evs).series)
      print(plot_map([evs[0], evs[0]]).series)
      """)
    #expect(error == nil, "\(String(describing: error))")
    #expect(out == "[\"PQ\"]\n[\"PQ\", \"PQ 2\"]\n")
  }

  @Test func plotLinesTakesXValuesAndGivesWholeEpochsTheirTics() {
    let (out, error) = run(
      """
      f = plot_lines({a: [3, 2, 1], b: [1, 2, 3]}, x: [1, 2, 3], x_label: "epoch")
      print(f.series)
      print("set xtics ('1' 1, '2' 2, '3' 3)" in f.script())
      plot_lines([1, 2], x: [1, 2, 3])
      """)
    #expect(out == "[\"a\", \"b\"]\ntrue\n")
    #expect(
      error?.description.contains("bad argument 'x' to 'plot_lines'") == true
        && error?.description.contains("3 x values for a line of 2 values") == true,
      "\(String(describing: error))")
  }
}
