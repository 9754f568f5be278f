import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// File loaders through the language, on small files written here, and the reference experiment.
@Suite struct LoaderBindingTests {
  let dir: String = {
    // one per test (each test gets a fresh suite value), removed by the test that made it
    let d = NSTemporaryDirectory() + "dpq-loader-bindings-\(getpid())-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }()

  func run(_ source: String) -> (String, ScriptError?) {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    session.bindingSettings.figureDisplay = .summary
    if case .failure(let e) = session.run(source: source, file: "loaders.dpq") { return (sink.text, e) }
    return (sink.text, nil)
  }

  @Test func csvWithNamedLabelColumnAndTextClasses() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/flowers.csv"
    try "length,width,species\n1.0,0.5,setosa\n2.0,1.5,virginica\n1.5,0.7,setosa\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    let (out, error) = run(
      """
      d = load_csv("\(path)", label: "species")
      print(d.count, d.shape, d.classes, d.labels, d.features[1].tolist())
      print(load_csv("\(path)", label: -1).classes)
      """)
    #expect(error == nil, "\(String(describing: error))")
    #expect(out == "3 [3, 2] [\"setosa\", \"virginica\"] [0, 1, 0] [2, 1.5]\n[\"setosa\", \"virginica\"]\n")
  }

  @Test func multiLabelFilesGiveSharedLabelRelevance() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let features = dir + "/features.fvecs"
    let labels = dir + "/labels.txt"
    let classes = dir + "/classes.txt"
    try "1 0 1\n0 1 0\n0 0 1\n".write(toFile: labels, atomically: true, encoding: .utf8)
    try "sky\nwater\ngrass\n".write(toFile: classes, atomically: true, encoding: .utf8)
    let (out, error) = run(
      """
      save_fvecs(tensor([[0, 0], [5, 5], [0, 1]]), "\(features)")
      d = load_multilabel("\(features)", "\(labels)", classes: "\(classes)")
      print(d.labels, d.multi_hot.tolist(), d.classes)
      q = rq(d, blocks: 1, codewords: 3)
      ix = q.index(d)
      ev = evaluate(ix, d, blocks: [1], precision_at: [1])
      print(ix.labels, ev.map[keys(ev.map)[0]] > 0)
      """)
    #expect(error == nil, "\(String(describing: error))")
    #expect(
      out == "[0, 1, 2] [[1, 0, 1], [0, 1, 0], [0, 0, 1]] [\"sky\", \"water\", \"grass\"]\n[[0, 2], [1], [2]] true\n")
  }

  @Test func cifarBinaryBatchesLoadAsColourImages() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let batches = dir + "/cifar-10-batches-bin"
    try FileManager.default.createDirectory(atPath: batches, withIntermediateDirectories: true)
    var bytes: [UInt8] = []
    for (label, value) in [(3, 255), (7, 0)] {
      bytes.append(UInt8(label))
      bytes += [UInt8](repeating: UInt8(value), count: 3072)
    }
    #expect(FileManager.default.createFile(atPath: batches + "/test_batch.bin", contents: Data(bytes)))
    let (out, error) = run(
      """
      c = cifar10("\(dir)", part: "test")
      print(c.shape, c.labels, c.classes[3], c.features[0].max().item(), c.features[1].max().item())
      """)
    #expect(error == nil, "\(String(describing: error))")
    #expect(out == "[2, 3, 32, 32] [3, 7] cat 1 0\n")
  }

  @Test func missingDatasetFilesSayWhereTheyComeFrom() {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (_, error) = run("mnist(part: \"test\", dir: \"\(dir)/no-mnist\")")
    let message = error?.diagnostics.first?.message ?? ""
    #expect(
      message.hasPrefix("\(dir)/no-mnist/t10k-") && message.contains("no such file (download the four IDX files"),
      "\(message)")
  }

  /// The reference experiment through the language (FM-small, one epoch, DPQ only: about ten
  /// seconds on a laptop); its steps go to the progress reporter as messages.
  @Test func experimentReturnsItsTable() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    let reporter = RecordingReporter()
    session.progressReporter = reporter
    session.bindingSettings.figureDisplay = .summary
    let result = session.run(
      source: """
        ex = experiment("fm-small", epochs: 1, baselines: false, augment: 0)
        print(ex.bits, keys(ex.map), len(ex.log), ex.rows[0].method, type(ex.accuracy))
        print(str(ex).split("\\n")[1])
        print(str(ex).split("\\n")[2])
        print(len(ex.comparisons), ex.rows[1].ranking, ex.rows[1].base_method)
        print(plot(ex))
        """, file: "experiment.dpq")
    if case .failure(let e) = result { Issue.record("\(e)") }
    // every method under every ranking, one table each, the main one (feature queries by inner
    // product) first; the figure draws the main block only
    #expect(
      sink.lines == [
        "[8, 16, 24, 32] [\"DPQ\", \"DPQ (feature-l2)\", \"DPQ (class)\"] 1 DPQ number",
        "feature-ip: feature queries, inner product",
        "method  mAP 8b  mAP 16b  mAP 24b  mAP 32b  P@100 32b  train s  encode/s  query/s",
        "0 feature-l2 DPQ",
        "figure \"mAP against code length\" (1 panel, 1 series)",
      ])
    #expect(reporter.events.first?.hasPrefix("message data: FM-small (seed 7)") == true, "\(reporter.events)")
  }
}
