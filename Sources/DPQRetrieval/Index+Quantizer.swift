import DPQQuantization
import DPQTensor

extension IndexLayout {
  /// The index layout of a quantizer's codebooks (the two enums describe the same conventions).
  public init(_ layout: CodebookLayout) {
    switch layout {
    case .additive(let c): self = .additive(codebooks: c)
    case .product(let c, let r): self = .product(codebooks: c, rotation: r)
    }
  }
}

extension Index {
  /// An index over `codes` produced by `quantizer`.
  public init(quantizer: some VectorQuantizer, codes: Codes, metric: IndexMetric = .innerProduct) throws {
    try self.init(layout: IndexLayout(quantizer.layout), metric: metric)
    try add(codes: codes)
  }

  /// An index over the codes a DPQ model gave its database: additive codebooks [M, K, D].
  public init(model: DPQModel, codes: Codes, metric: IndexMetric = .innerProduct) throws {
    try self.init(layout: .additive(codebooks: model.stackedCodebooks()), metric: metric)
    try add(codes: codes)
  }
}
