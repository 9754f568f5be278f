import DPQTensor

/// Errors raised by k-means and the quantizers. Every case carries the numbers involved and its
/// message says what to change.
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
  /// Training needs at least `needed` vectors (one per codeword) but got `got`.
  case tooFewTrainingVectors(op: String, needed: Int, got: Int)
  /// A tensor's vector dimension does not match the quantizer's.
  case dimensionMismatch(op: String, expected: Int, got: Int)
  /// Product quantization splits D into M equal subspaces, so M must divide D.
  case dimensionNotDivisible(dimension: Int, subspaceCount: Int)
  /// `encode`, `decode` or `layout` was called before `train`.
  case notTrained(quantizer: String, op: String)
  /// A tensor that should be an n x D matrix has another shape.
  case invalidShape(op: String, shape: [Int], expected: String)
  /// Codes from another quantizer (other M or K) were given to `decode`.
  case codesMismatch(op: String, expectedBlocks: Int, expectedCodewords: Int, gotBlocks: Int, gotCodewords: Int)
  /// Training data holds NaN or infinity.
  case nonFiniteInput(op: String, row: Int, column: Int)
  /// A constructor or option got a value outside its range.
  case invalidArgument(op: String, reason: String)
  /// A saved configuration lacks a key or holds a value that cannot be parsed.
  case invalidConfiguration(key: String, value: String?, reason: String)
  /// A saved state tensor is missing or has the wrong shape.
  case invalidState(name: String, expected: [Int], got: [Int]?)
  /// The configuration names a quantizer type this build does not know.
  case unknownQuantizerType(String)
  /// A LAPACK routine reported failure (`info` is its return code).
  case linearAlgebraFailure(routine: String, info: Int)
  /// Training met a NaN or infinity (`what`: which loss term, gradient or parameter) at `batch` of
  /// `epoch`; `kept` says which parameters the model keeps (those of the last good step).
  case trainingDiverged(epoch: Int, batch: Int, stage: Int, what: String, kept: String, hint: String)
  /// The training data (`source`: the inputs, the multi-hot targets, or a batch after
  /// augmentation) hold `value` (NaN, inf or -inf) at `row` of the data given to train (element
  /// `element` of that row), met `when` (which epoch and batch); `rows` are the first of the
  /// `rowCount` rows that hold such values.
  case nonFiniteTrainingData(
    source: String, row: Int, element: Int, value: String, when: String, rows: [Int], rowCount: Int)

  public var description: String {
    switch self {
    case .tooFewTrainingVectors(let op, let needed, let got):
      return
        "\(op): needs at least \(needed) training vectors (one per codeword), got \(got); give more vectors or lower the codeword count"
    case .dimensionMismatch(let op, let expected, let got):
      return "\(op): the vectors have dimension \(got) but the quantizer was built for dimension \(expected)"
    case .dimensionNotDivisible(let d, let m):
      let divisors = (1...max(1, min(d, 64))).filter { d % $0 == 0 }.map(String.init).joined(separator: ", ")
      return
        "product quantizer: dimension \(d) is not divisible by the subspace count \(m); choose a subspace count among \(divisors)"
    case .notTrained(let quantizer, let op):
      return "\(op): the \(quantizer) is not trained yet; call train(x) on training vectors first"
    case .invalidShape(let op, let shape, let expected):
      return "\(op): expected \(expected), got a tensor of shape \(formatShape(shape))"
    case .codesMismatch(let op, let eb, let ek, let gb, let gk):
      return
        "\(op): the codes have \(gb) blocks of \(gk) codewords but the quantizer has \(eb) blocks of \(ek) codewords; were they made by another quantizer?"
    case .nonFiniteInput(let op, let row, let column):
      return
        "\(op): the input holds a NaN or infinite value at row \(row), column \(column); clean or normalise the data first"
    case .invalidArgument(let op, let reason):
      return "\(op): \(reason)"
    case .invalidConfiguration(let key, let value, let reason):
      return "quantizer configuration: key '\(key)'" + (value.map { " = '\($0)'" } ?? "") + ": \(reason)"
    case .invalidState(let name, let expected, let got):
      if let got {
        return "quantizer state: tensor '\(name)' has shape \(formatShape(got)), expected \(formatShape(expected))"
      }
      return "quantizer state: tensor '\(name)' (shape \(formatShape(expected))) is missing"
    case .unknownQuantizerType(let type):
      return
        "quantizer configuration: unknown type '\(type)' (known: \(QuantizerLoader.knownTypes.joined(separator: ", ")))"
    case .linearAlgebraFailure(let routine, let info):
      return "\(routine) failed with info = \(info)"
        + (info > 0
          ? " (the SVD did not converge; check the data for extreme values)" : " (argument \(-info) was invalid)")
    case .trainingDiverged(let epoch, let batch, let stage, let what, let kept, let hint):
      let at = batch > 0 ? "at epoch \(epoch), batch \(batch)" : "when epoch \(epoch) began"
      return "train: \(what) \(at) (stage \(stage)); training stopped and the model keeps \(kept); \(hint)"
    case .nonFiniteTrainingData(let source, let row, let element, let value, let when, let rows, let rowCount):
      var s = "train: the \(source) hold \(value) at row \(row) (element \(element) of the row) \(when)"
      if rowCount > 1 {
        s +=
          "; \(rowCount) rows of the data hold NaN or infinity: " + rows.map(String.init).joined(separator: ", ")
          + (rowCount > rows.count ? ", ..." : "")
      } else if rowCount == 1 {
        s += "; no other row holds NaN or infinity"
      }
      return s
        + "; training stopped before this batch's step and the model keeps the parameters it had. The data, not the learning rate, is the cause: remove or replace those rows"
    }
  }
}

/// Formats a shape the way NumPy prints it: `[2, 3]`.
func formatShape(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
