import DPQQuantization
import DPQTensor

extension Index {
  /// An index over `codes` produced by `quantizer`: PQ, OPQ, RQ, or a DPQ model's quantizer
  /// (`Index(quantizer: model.quantizer, codes: model.encode(...))`).
  public init(quantizer: some VectorQuantizer, codes: Codes, metric: IndexMetric = .innerProduct) throws {
    try self.init(layout: quantizer.layout, metric: metric)
    try add(codes: codes)
  }
}
