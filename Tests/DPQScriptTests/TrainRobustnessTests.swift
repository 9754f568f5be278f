import DPQData
import DPQQuantization
import DPQTensor
import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// train() from the language: divergence, clipping, checkpoints and resume, and oversized tensors
/// (issue 7).
@Suite struct TrainRobustnessTests {
  let setup = """
    d = blobs(n: 64, classes: 4, dim: 8, seed: 1)
    fn model() {
      dpq(backbone: "mlp", input: 8, hidden: [16], dim: 8, blocks: 2, codewords: 4, classes: 4)
    }

    """

  func run(_ source: String, _ session: ScriptSession? = nil) -> (ScriptSession, Result<Void, ScriptError>, String) {
    let sink = CapturingSink()
    let s = session ?? ScriptSession(output: sink)
    let r = s.run(source: source, file: "robust.dpq")
    return (s, r, sink.text)
  }

  func model(_ s: ScriptSession, _ name: String) throws -> DPQModel {
    guard case .host(let m as ModelObject)? = s.interpreter.globals.values[name] else {
      throw ScriptError.failure("no model named \(name)")
    }
    return m.model
  }

  func parameters(_ m: DPQModel) -> [String: [Float]] {
    Dictionary(uniqueKeysWithValues: m.stateDict().map { ($0.0, $0.1.scalars) })
  }

  @Test func aBlownUpLearningRateIsAClearErrorAndTheModelStaysFinite() throws {
    let (s, result, _) = run(
      setup + "m = model()\ntrain(m, d, epochs: 2, batch: 16, lr: 1e12, optimizer: \"sgd\", mode: \"end_to_end\")\n")
    guard case .failure(let error) = result else {
      Issue.record("training with lr 1e12 succeeded")
      return
    }
    let message = "\(error)"
    // Where the blow-up shows (a loss in epoch 1 or 2, or an update) depends on float rounding;
    // each path names where it happened and what the model kept.
    #expect(
      message.contains("robust.dpq:6") && message.contains(", batch ") && message.contains("diverged")
        && message.contains("whose loss and features are finite"), "\(message)")
    let kept = parameters(try model(s, "m"))
    #expect(
      kept.values.allSatisfy { $0.allSatisfy { $0.isFinite } },
      "non-finite: \(kept.filter { !$0.value.allSatisfy { $0.isFinite } }.keys.sorted()); \(message)")
  }

  /// SGD at lr 1e6 diverges; the model it keeps encodes the data with finite features, in the
  /// same session after the error (issue 12: the kept parameters were ~1e21 and gave NaN).
  @Test func aDivergedModelStillGivesFiniteFeaturesAndCodes() throws {
    let (s, result, _) = run(setup + "m = model()\ntrain(m, d, epochs: 3, batch: 16, lr: 1e6, optimizer: \"sgd\")\n")
    guard case .failure(let error) = result else {
      Issue.record("training with lr 1e6 succeeded")
      return
    }
    #expect(
      "\(error)".contains("diverged") && "\(error)".contains("the loss went from")
        && "\(error)".contains("whose loss and features are finite"), "\(error)")
    let (_, after, _) = run(
      """
      f = m.features(d)
      assert((f == f).sum() == 64 * 8, "NaN features")
      assert(f.abs().max() < 1e30, "infinite features")
      codes = m.encode(d)
      xs = d.features

      """, s)
    if case .failure(let e) = after { Issue.record("after the divergence: \(e)") }
    guard case .tensor(let xs)? = s.interpreter.globals.values["xs"] else {
      Issue.record("no xs")
      return
    }
    #expect(try model(s, "m").extractFeatures(xs).scalars.allSatisfy { $0.isFinite })
  }

  /// NaN in the data is named by its rows and batch, and not blamed on the learning rate.
  @Test func nonFiniteDataIsNamedByItsRows() throws {
    let (_, result, _) = run(
      setup + """
        x = d.features
        x[17, 3] = log(-1)
        x[40, 0] = exp(1000)
        m = model()
        train(m, dataset(x, d.labels), epochs: 2, batch: 16)

        """)
    guard case .failure(let error) = result else {
      Issue.record("training on NaN data succeeded")
      return
    }
    let message = "\(error)"
    #expect(
      message.contains("robust.dpq:") && message.contains("the training data hold ")
        && message.contains("at epoch 1, batch ") && message.contains("2 rows of the data hold NaN or infinity: 17, 40")
        && message.contains("not the learning rate") && !message.contains("lower the learning rate"), "\(message)")
  }

  @Test func clipMustBePositive() {
    let (_, result, _) = run(setup + "train(model(), d, epochs: 1, batch: 16, clip: 0)\n")
    guard case .failure(let error) = result else {
      Issue.record("clip: 0 accepted")
      return
    }
    #expect("\(error)".contains("bad argument") && "\(error)".contains("clip"), "\(error)")
    let (_, ok, _) = run(setup + "train(model(), d, epochs: 1, batch: 16, clip: 0.5)\n")
    if case .failure(let e) = ok { Issue.record("clip: 0.5 failed: \(e)") }
  }

  @Test func anInterruptedRunResumedFromItsCheckpointEqualsAStraightRun() throws {
    let path = NSTemporaryDirectory() + "dpq-script-ck-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).safetensors"
    defer { try? FileManager.default.removeItem(atPath: path) }
    // the stop request comes as soon as the epoch-2 checkpoint exists, as a Ctrl-C would (the
    // checkpoint written when training starts holds epoch 0)
    let sink = CapturingSink()
    let first = ScriptSession(output: sink)
    first.shouldStop = { (try? SafeTensors.read(path))?.metadata["epochs_done"] == "2" }
    let (_, interrupted, _) = run(
      setup + "a = model()\ntrain(a, d, epochs: 4, batch: 16, checkpoint: \"\(path)\", checkpoint_every: 2)\n", first)
    if case .success = interrupted { Issue.record("the stop request did not end training") }
    #expect(sink.text.contains("after 2 of 4 epochs"), "\(sink.text)")

    let (s, result, _) = run(
      setup + """
        b = model()
        log = train(b, d, epochs: 4, batch: 16, resume: "\(path)")
        assert(log.epochs == [1, 2, 3, 4], str(log.epochs))
        c = model()
        train(c, d, epochs: 4, batch: 16)

        """)
    if case .failure(let e) = result {
      Issue.record("\(e)")
      return
    }
    #expect(parameters(try model(s, "b")) == parameters(try model(s, "c")))
  }

  @Test func tensorsTooLargeForMemoryAreRefusedWithTheirSize() {
    for source in [
      "zeros([100000, 100000])", "randn([50000, 50000, 10])", "ones([1048576, 1048576])", "full([99999999999], 1)",
      "arange(0, 1e12)",
    ] {
      let (_, result, _) = run(source + "\n")
      guard case .failure(let error) = result else {
        Issue.record("\(source) was allocated")
        continue
      }
      #expect("\(error)".contains("MiB") && "\(error)".contains("too large"), "\(source): \(error)")
    }
  }
}
