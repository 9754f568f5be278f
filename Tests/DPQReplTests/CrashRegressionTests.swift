import Foundation
import Testing

/// Inputs that used to kill `dpq run` (a trap, an abort, a failed malloc, a segfault) are errors
/// now: the process exits with status 1 and a message, never by a signal. Each case is a
/// reproducer from issue 12.
@Suite struct CrashRegressionTests {
  /// Runs `source` as a script through `sh`, so the exit is seen as the shell reports it (128 +
  /// signal number when a signal ended dpq) and so `limits` (ulimit commands) apply to dpq only.
  static func run(_ source: String, limits: String = "") throws -> (status: Int, errors: String) {
    let dir = try temporaryDirectory("crash")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try source.write(toFile: dir + "/case.dpq", atomically: true, encoding: .utf8)
    let r = try runProcess(
      "/bin/sh", ["-c", "\(limits) \"$0\" run case.dpq >out 2>err; echo $?", Paths.binary], directory: dir)
    let errors = (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
    return (Int(r.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, errors)
  }

  static let tooLarge: [(String, String)] = [
    ("zeros([100000, 1]) + zeros([1, 100000])", "is too large"),
    ("zeros([100000, 1]) * zeros([1, 100000])", "is too large"),
    ("zeros([100000, 1]) - zeros([1, 100000])", "is too large"),
    ("zeros([100000, 1]) == zeros([1, 100000])", "is too large"),
    ("where(zeros([100000, 1]), zeros([100000, 1]), zeros([1, 100000]))", "is too large"),
    ("zeros([100000, 1]) @ zeros([1, 100000])", "is too large"),
    ("x = zeros([0, 1e15])\nx.T @ x", "is too large"),
    ("x = zeros([0, 1e15])\nx.sum(axis: 0)", "is too large"),
    ("x = zeros([0, 1e15])\nconcat([x, x])", "is too large"),
    ("conv2d(1, 1, 3, padding: 100000)(zeros([1, 1, 5, 5]))", "is too large"),
    ("conv2d(1, 1, 3, padding: 1e15)(zeros([1, 1, 5, 5]))", "is too large"),
    ("blobs(n: 1e12)", "is too large"),
    ("blobs(dim: 2147483648)", "is too large"),
    ("dataset(zeros([3, 2]), [0, 1, 1e12])", "limit of 16777216 classes"),
    ("blobs(n: 20).split(train: 1e9, query: 1)", "has only 20 items"),
    ("blobs(n: 20).split(train: 4e15, query: 4e15, per_class: false)", "cannot take"),
    ("x = 1" + String(repeating: " + 1", count: 50_000), "expression too long"),
    ("x = {a: 1}" + String(repeating: ".a", count: 40_000), "expression too long"),
    ("x = [1]" + String(repeating: "[0]", count: 40_000), "expression too long"),
    ("plot_map(5)", "bad argument #1 to 'plot_map'"),
    ("plot_map([1])", "bad argument #1 to 'plot_map'"),
  ]

  @Test(arguments: tooLarge) func aReproducerIsAnErrorNotACrash(source: String, message: String) throws {
    guard builtBinary() != nil else { return }
    let r = try Self.run(source)
    #expect(r.status == 1, "\(source): status \(r.status), \(r.errors)")
    #expect(r.errors.contains("error:") && r.errors.contains(message), "\(source): \(r.errors)")
  }

  /// The same under util-linux's `prlimit --as` (3 GB, about 2.5 GB left once dpq runs, on a
  /// machine with more physical memory than that): the ops whose result has the operand's shape
  /// (elementwise functions, negation, powers, clamp, transpose, activation layers) used to abort
  /// in malloc.
  @Test(arguments: [
    "x = zeros([700000000])", "x = zeros([400000000])\ny = exp(x)", "x = zeros([400000000])\ny = x.relu()",
    "x = zeros([400000000])\ny = -x", "x = zeros([400000000])\ny = abs(x)", "x = zeros([400000000])\ny = x ** 2",
    "x = zeros([400000000])\ny = x.clamp(min: 0)", "x = zeros([20000, 20000])\ny = x.T",
    "x = zeros([400000000])\ny = x * 2", "x = zeros([400000000])\ny = relu()(x)",
    "x = zeros([400000000])\ny = tanh_layer()(x)",
  ])
  func prlimitAddressSpaceIsHonoured(source: String) throws {
    guard builtBinary() != nil else { return }
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
      Issue.record("/usr/bin/prlimit (util-linux) is missing")
      return
    }
    guard ProcessInfo.processInfo.physicalMemory > 3_500_000_000 else { return } // the point is a limit below it
    let r = try Self.run(source + "\nprint(\"finished\")", limits: "/usr/bin/prlimit --as=3000000000")
    #expect(r.status == 1, "\(source): status \(r.status), \(r.errors)")
    #expect(r.errors.contains("does not fit") && r.errors.contains("RLIMIT_AS"), "\(source): \(r.errors)")
  }

  /// Training that meets NaN ends the script with status 1 and a message naming the cause: the
  /// rows of the data that hold NaN (not the learning rate), or a diverged loss and the finite
  /// state the model keeps (issue 12).
  @Test(arguments: [
    (
      "x = d.features\nx[17, 3] = log(-1)\nx[40, 0] = exp(1000)\ntrain(m, dataset(x, d.labels), epochs: 2, batch: 16)",
      [
        "the training data hold ", "at epoch 1, batch ", "2 rows of the data hold NaN or infinity: 17, 40",
        "not the learning rate",
      ]
    ),
    (
      "train(m, d, epochs: 3, batch: 16, lr: 1e6, optimizer: \"sgd\")",
      ["diverged", "the loss went from", "whose loss and features are finite", "lower the learning rate"]
    ),
  ])
  func aTrainingFailureNamesItsCause(source: String, messages: [String]) throws {
    guard builtBinary() != nil else { return }
    let setup = """
      d = blobs(n: 64, classes: 4, dim: 8, seed: 1)
      m = dpq(backbone: "mlp", input: 8, hidden: [16], dim: 8, blocks: 2, codewords: 4, classes: 4)

      """
    let r = try Self.run(setup + source + "\nprint(\"finished\")")
    #expect(r.status == 1, "status \(r.status), \(r.errors)")
    for m in messages { #expect(r.errors.contains(m), "\(m): \(r.errors)") }
    if source.contains("log(-1)") { #expect(!r.errors.contains("lower the learning rate"), "\(r.errors)") }
  }

  /// Under `ulimit -v` or `ulimit -d` a tensor inside the element limit but beyond the memory
  /// left used to fail in malloc and abort; it is refused up front, naming the rlimit.
  @Test(arguments: [
    ("ulimit -v 3000000;", "x = zeros([700000000])", "RLIMIT_AS"),
    ("ulimit -d 3000000;", "x = zeros([600000000])\ny = x + x", "RLIMIT_DATA"),
  ])
  func anRlimitIsHonoured(limits: String, source: String, cap: String) throws {
    guard builtBinary() != nil else { return }
    let r = try Self.run(source + "\nprint(\"finished\")", limits: limits)
    #expect(r.status == 1, "status \(r.status), \(r.errors)")
    #expect(r.errors.contains("does not fit") && r.errors.contains(cap), "\(r.errors)")
  }
}
