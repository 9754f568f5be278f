import DPQQuantization
import DPQTensor

extension Index {
  /// An index over `codes` produced by `quantizer`.
  public init(quantizer: some VectorQuantizer, codes: Codes, metric: IndexMetric = .innerProduct) throws {
    try self.init(layout: quantizer.layout, metric: metric)
    try add(codes: codes)
  }

  /// An index over the codes a DPQ model gave its database: additive codebooks [M, K, D].
  public init(model: DPQModel, codes: Codes, metric: IndexMetric = .innerProduct) throws {
    try self.init(layout: .additive(codebooks: model.stackedCodebooks()), metric: metric)
    try add(codes: codes)
  }
}
