import DPQData
import DPQLanguage
import DPQPlot
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// Figures of codebooks and features: codeword usage, distortion per block, 2-D projections.
extension PlotBindings {
  // MARK: codebooks and projections

  /// Codeword counts per block from a model or quantizer encoding data, or from codes.
  static func usageCounts(_ source: Value, data: Value, _ a: Arguments) throws -> [[Int]] {
    switch source {
    case .host(let c as CodesObject): return ModelBindings.counts(c.codes)
    case .host(let m as ModelObject):
      guard !data.isNil else { throw a.badArgument("data", "data to encode is needed to count codeword usage") }
      return ModelBindings.counts(try m.model.encode(features: ModelBindings.features(m, data, a, "data")))
    case .host(let q as QuantizerObject):
      guard !data.isNil else { throw a.badArgument("data", "data to encode is needed to count codeword usage") }
      return ModelBindings.counts(try q.quantizer.encode(QuantizerBindings.vectors(data, a, "data")))
    default: throw a.badArgument("source", "a model, quantizer or codes expected, got \(source.typeName)")
    }
  }

  /// Relative distortion after 1..M blocks of a model or quantizer on data.
  static func distortions(_ source: Value, data: Value, _ a: Arguments) throws -> (name: String, values: [Double]) {
    switch source {
    case .host(let m as ModelObject):
      return (
        "DPQ", try m.model.relativeDistortion(features: ModelBindings.features(m, data, a, "data")).map(Double.init)
      )
    case .host(let q as QuantizerObject):
      let x = try QuantizerBindings.vectors(data, a, "data")
      let index = try Index(quantizer: q.quantizer, codes: q.quantizer.encode(x))
      let total = x.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
      let values = try (1...q.quantizer.blockCount).map { b -> Double in
        let y = try index.reconstruct(items: Array(0..<x.shape[0]), blocks: b).scalars
        var err = 0.0
        x.withUnsafeBufferPointer { xp in
          for i in 0..<y.count {
            let e = Double(xp[i] - y[i])
            err += e * e
          }
        }
        return total > 0 ? err / total : 0
      }
      return (q.quantizer.name, values)
    default: throw a.badArgument("sources", "models or quantizers expected, got \(source.typeName)")
    }
  }

  static func registerCodebooks(into r: inout BuiltinRegistry) {
    let ex = ModelBindings.exampleModel
    r.add(
      "plot_usage", family: family,
      [
        Parameter("source"), Parameter("data", default: .nilValue), .keyword("sorted", .bool, default: .bool(false)),
        .keyword("overlaid", .bool, default: .bool(false)), titleParameter,
      ],
      returns: "figure",
      summary: "How often each codeword is used, per block, by a model or quantizer encoding data (or by codes).",
      doc:
        "`sorted: true` orders codewords from most to least used (dead codewords show as a flat tail); `overlaid: true` draws all blocks on one plot.",
      example: ex + "plot_usage(m, d, sorted: true).panels"
    ) { a in
      let counts = try usageCounts(a["source"], data: a["data"], a)
      return figure(
        try titled(
          Figure.codewordUsage(
            counts, layout: a.bool("overlaid") ? .overlaid : .panels, sortedByCount: a.bool("sorted")), a), a)
    }
    r.add(
      "plot_distortion", family: family,
      [Parameter("sources"), Parameter("data"), .keyword("lines", .bool, default: .bool(false)), titleParameter],
      returns: "figure",
      summary: "Relative distortion after 1..M blocks for a model, a quantizer, or a list of them, on the same data.",
      example: ex + "plot_distortion([m, rq(m.features(d), blocks: 2, codewords: 4)], d).panels"
    ) { a in
      var series: [(name: String, values: [Double])] = []
      if case .list(let l) = a["sources"] {
        for item in l.items {
          // quantizers work on vectors: give them the model's features when the list holds a model
          var data = a["data"]
          if case .host(is QuantizerObject) = item, case .host(let d as DatasetObject) = data,
            let model = l.items.lazy.compactMap({ v -> ModelObject? in
              if case .host(let m as ModelObject) = v { return m } else { return nil }
            }).first
          {
            data = .tensor(try ModelBindings.extract(model, d.data.features, a))
          }
          series.append(try distortions(item, data: data, a))
        }
      } else {
        series.append(try distortions(a["sources"], data: a["data"], a))
      }
      return figure(
        try titled(
          Figure.blockDistortion(
            series, style: a.bool("lines") ? .lines : .bars,
            yLabel: "relative distortion ||x - x^||^2 / ||x||^2"), a), a)
    }
    r.add(
      "plot_projection", family: family,
      [
        Parameter("source"), Parameter("data", DataBindings.datasetType),
        .keyword("method", .string, default: .string("pca")),
        .keyword("bits", .list, default: .items([])), .keyword("limit", .integer, default: .number(1000)),
        .keyword("perplexity", .number, default: .number(30)), .keyword("iterations", .integer, default: .number(1000)),
        .keyword("seed", .integer, default: .number(0)), titleParameter,
      ],
      returns: "figure",
      summary:
        "A 2-D projection (PCA or t-SNE) of a model's features, and of their reconstructions at `bits:`, coloured by class.",
      doc:
        "`source` is a model (its features of the data) or nil (the data's own vectors). At most `limit` items are drawn (the first ones).",
      example: ex + "plot_projection(m, d, bits: [2, 4]).panels"
    ) { a in
      let all = try a.host("data", as: DatasetObject.self).data
      let data = all.count > (try a.positive("limit")) ? try all.subset(Array(0..<(try a.positive("limit")))) : all
      var features: Tensor
      var reconstructions: [(bits: Int, values: Tensor)] = []
      switch a["source"] {
      case .host(let m as ModelObject):
        features = try ModelBindings.extract(m, data.features, a)
        let codes = try m.model.encode(features: features)
        for b in try a.integers("bits") {
          let blocks = Double(b) / Double(m.model.configuration.bits(blocks: 1))
          guard blocks == blocks.rounded(), blocks >= 1, Int(blocks) <= m.model.blockCount else {
            throw a.badArgument(
              "bits", "\(b) bits is not a whole number of blocks of \(m.model.configuration.bits(blocks: 1)) bits")
          }
          reconstructions.append((b, try m.model.decode(codes, blocks: Int(blocks))))
        }
      case .nilValue:
        features = try data.features.reshaped([data.count, data.itemSize])
      default: throw a.badArgument("source", "a model or nil expected, got \(a["source"].typeName)")
      }
      let method: ProjectionMethod
      switch try a.choice("method", ["pca", "tsne"]) {
      case "tsne":
        var o = TSNEOptions()
        o.perplexity = try a.number("perplexity")
        o.iterations = try a.integer("iterations")
        o.seed = try a.seed()
        if let stop = a.shouldStop { o.shouldStop = { stop() } }
        method = .tsne(o)
      default: method = .pca
      }
      let projection = try Figure.projection(
        features: features, reconstructions: reconstructions, labels: data.labels.map { max($0, 0) },
        classNames: data.classNames, method: method)
      try a.stopIfRequested() // a t-SNE cut short is not shown
      return figure(try titled(projection, a), a)
    }
  }

}
