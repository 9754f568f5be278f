/// The ops that carry hand-written gradients, in one place (tinygrad's gradient table, STYLE.md).
///
/// Every differentiable op of dpq is one of three kinds:
/// - a **primitive** below, whose gradient is written next to its forward pass;
/// - a **composite** of primitives (`sub` is `a + (-b)`, `mean` is `sum * (1 / n)`, `mseLoss` is
///   `mean((p - t)^2)`, average pooling, ...), which has no gradient code of its own: its graph is
///   made of primitive nodes, and `labelled` only names the last of them after the composite;
/// - a **fused kernel** below: an op that could be a composite but is kept as one pass with its own
///   gradient, because a benchmark (`dpq bench fused`, docs/benchmarks.md) shows the need or
///   because its composite would change the numbers of the reference experiment. Each has a
///   central finite-difference gradient test and a row of `dpq bench fused` that times it against
///   its composite.
///
/// `GradNode.rule` names the entry whose gradient runs at a node; the tests check that every rule a
/// graph holds is listed here.
public enum GradientTable {
  /// The primitives: elementwise arithmetic, the smooth functions the DPQ losses need, the two
  /// non-smooth selections, the matrix product, two reductions, and the moves of data.
  public static let primitives: [String] = [
    "add", "mul", "div", "neg",
    "exp", "log", "sqrt",
    "relu", "maximum", "where",
    "matmul",
    "sum", "max",
    "reshape", "permute", "expand", "slice", "concat",
    "indexSelect", "gather", "scatterAdd",
  ]

  /// A kernel with its own gradient that a composite of primitives could replace.
  public struct FusedKernel: Sendable {
    /// The node label (`GradNode.rule`).
    public let label: String
    /// The module that holds it.
    public let module: String
    /// The composite it stands for (what its `dpq bench fused` row times it against).
    public let composite: String
    /// Why it is not that composite.
    public let reason: String
    /// Whether the reference experiment (`dpq experiment`) runs it: its arithmetic is frozen.
    public let onExperimentPath: Bool

    /// The workload name of its row in `dpq bench fused` and docs/benchmarks.md.
    public var benchmarkRow: String { "fused/\(label)" }
  }

  /// The fused kernels, each with its benchmark row.
  public static let fusedKernels: [FusedKernel] = [
    FusedKernel(
      label: "tanh", module: "DPQTensor", composite: "1 - 2 / (exp(2x) + 1)",
      reason: "one vectorised pass (FastMath.tanh); the feature layer x = tanh(Wh + b)", onExperimentPath: true),
    FusedKernel(
      label: "sigmoid", module: "DPQTensor",
      composite: "where(x > 0, 1 / (1 + e), e / (1 + e)), e = exp(x - 2 relu(x))",
      reason: "one vectorised pass (FastMath.sigmoid); 1 / (1 + exp(-x)) has NaN gradients below x = -88",
      onExperimentPath: false),
    FusedKernel(
      label: "pow", module: "DPQTensor", composite: "exp(p * log(x))",
      reason: "powf: exact for whole exponents of negative bases, where exp(p log x) is NaN", onExperimentPath: false),
    FusedKernel(
      label: "softmax", module: "DPQTensor", composite: "exp(x - max) / sum(exp(x - max))",
      reason: "one pass per row; the soft assignment to K codewords", onExperimentPath: true),
    FusedKernel(
      label: "logSoftmax", module: "DPQTensor", composite: "x - max - log(sum(exp(x - max)))",
      reason: "one pass per row and no [n, k] temporaries", onExperimentPath: false),
    FusedKernel(
      label: "logsumexp", module: "DPQTensor", composite: "max + log(sum(exp(x - max)))",
      reason: "one pass per row; the ranking loss", onExperimentPath: true),
    FusedKernel(
      label: "softmaxCrossEntropy", module: "DPQNN", composite: "mean(logsumexp(x) - sum(onehot * x))",
      reason: "a scalar from one pass and the gradient (softmax - target) / N; the classification loss",
      onExperimentPath: true),
    FusedKernel(
      label: "linear", module: "DPQNN", composite: "matmul(x, W^T) + b",
      reason: "the bias enters sgemm as C (beta = 1), and the product is split over the workers",
      onExperimentPath: true),
    FusedKernel(
      label: "conv2d", module: "DPQNN", composite: "sum over kernel taps of matmul(slice(x), W[:, :, i, j]^T) + b",
      reason: "im2col + sgemm or direct AVX-512 kernels", onExperimentPath: true),
    FusedKernel(
      label: "conv2d_relu_maxpool", module: "DPQNN", composite: "maxpool2d(relu(conv2d(x)))",
      reason: "one pass over the convolution's output instead of three", onExperimentPath: false),
    FusedKernel(
      label: "maxpool2d", module: "DPQNN", composite: "max over the window axes of reshape(x)",
      reason: "one pass with argmax indices for the backward pass", onExperimentPath: true),
    FusedKernel(
      label: "batchnorm", module: "DPQNN", composite: "(x - mean) / sqrt(variance + eps) * gamma + beta",
      reason: "two passes with Double statistics and the closed-form gradient", onExperimentPath: true),
  ]

  /// Whether `rule` (a `GradNode.rule`) is a primitive, a fused kernel or a leaf.
  public static func isListed(_ rule: String) -> Bool {
    rule == "leaf" || primitives.contains(rule) || fusedKernels.contains { $0.label == rule }
  }

  /// The rules of every node in the graph below `tensor` (its own node included), sorted.
  public static func rules(below tensor: Tensor) -> [String] {
    guard let root = tensor.node else { return [] }
    return Set(GradNode.topologicalOrder(from: root).map(\.rule)).sorted()
  }
}
