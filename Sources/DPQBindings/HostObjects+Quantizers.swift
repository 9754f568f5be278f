import DPQLanguage
import DPQQuantization
import DPQTensor

/// A trained PQ, OPQ or RQ quantizer (faiss's vocabulary: encode, decode, codebooks).
final class QuantizerObject: ScriptHost {
  package static let scriptType = "quantizer"
  let quantizer: any VectorQuantizer
  /// The progress steps of its training (empty for a loaded quantizer).
  let report: TrainingReport

  init(_ quantizer: any VectorQuantizer, report: TrainingReport = TrainingReport()) {
    self.quantizer = quantizer
    self.report = report
  }

  var description: String {
    var s = quantizer.summary
    if report.stopped { s += " (training stopped early)" }
    if let last = report.steps.last { s += String(format: "; final objective %.6g", last.objective) }
    return s
  }

  var codebooks: Tensor? { quantizer.isTrained ? (try? quantizer.layout.codebooks) : nil }

  var rotation: Tensor? {
    if case .product(_, let r)? = try? quantizer.layout { return r }
    return nil
  }
}
