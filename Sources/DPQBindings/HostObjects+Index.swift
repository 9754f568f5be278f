import DPQData
import DPQLanguage
import DPQQuantization
import DPQRetrieval
import DPQTensor

/// What turns vectors (or inputs) into an index's codes and queries into its space.
enum IndexEncoder {
  case model(DPQModel)
  case quantizer(any VectorQuantizer)

  var name: String {
    switch self {
    case .model: return "DPQ"
    case .quantizer(let q): return q.name
    }
  }
}

/// A searchable database of codes. Built from a model or quantizer it remembers that encoder
/// (so `add` and `search` take datasets and raw inputs) and, built from a dataset, the database's
/// labels and items (so `evaluate` and `plot_retrieval` need no more arguments).
final class IndexObject: ScriptHost {
  package static let scriptType = "index"
  var index: Index
  let encoder: IndexEncoder?
  /// Labels of the database items, when every added item's are known.
  var labels: LabelSets?
  /// The database items, when every added item came from a dataset (images for plots).
  var items: LabelledDataset?

  init(_ index: Index, encoder: IndexEncoder?, labels: LabelSets? = nil, items: LabelledDataset? = nil) {
    self.index = index
    self.encoder = encoder
    self.labels = labels
    self.items = items
  }

  var metricName: String { index.metric == .innerProduct ? "ip" : "l2" }

  var description: String {
    let layout = index.layout.isAdditive ? "additive" : (index.layout.rotation == nil ? "product" : "product, rotated")
    var s =
      "index: \(Format.grouped(index.count)) items, \(index.blockCount) blocks x \(index.codewordCount) codewords (\(layout), D=\(index.dimension)), metric \(metricName)"
    if let e = encoder { s += ", encoder \(e.name)" }
    if labels != nil { s += ", labelled" }
    return s
  }

  /// Queries [nq, D] from a tensor of vectors or inputs, or a dataset, via the encoder.
  func queries(_ value: Value, _ a: Arguments, _ name: String) throws -> Tensor {
    let d = index.dimension
    // A model's index asks the model's rule (which refuses a tensor that fits inputs and features alike).
    if case .tensor(let t) = value,
      !(encoder.map { if case .model = $0 { return true } else { return false } } ?? false)
    {
      if t.rank == 2 && t.shape[1] == d { return t }
      if t.rank == 1 && t.count == d { return try t.reshaped([1, d]) }
    }
    switch encoder {
    case .model(let m)?:
      return try ModelBindings.features(ModelObject(m), value, a, name)
    default:
      let x = try QuantizerBindings.vectors(value, a, name)
      guard x.shape[1] == d else {
        throw a.badArgument(name, "vectors of dimension \(d) expected, got shape \(Format.shape(x.shape))")
      }
      return x
    }
  }

  /// The codes of a value to add: codes as they are, or data through the encoder.
  func codes(_ value: Value, _ a: Arguments, _ name: String) throws -> Codes {
    if case .host(let c as CodesObject) = value { return c.codes }
    switch encoder {
    case .model(let m)?: return try m.encode(features: ModelBindings.features(ModelObject(m), value, a, name))
    case .quantizer(let q)?: return try QuantizerBindings.encode(q, QuantizerBindings.vectors(value, a, name), a)
    case nil:
      throw a.badArgument(
        name, "codes expected (this index has no encoder to encode \(value.typeName) with), got \(value.typeName)")
    }
  }

  /// Adds codes (or data) and keeps the labels and items known when the data is a dataset.
  func add(_ value: Value, labels given: Value?, _ a: Arguments, _ name: String) throws {
    let wasEmpty = index.count == 0
    let new = try codes(value, a, name)
    var newLabels: LabelSets? = nil
    var newItems: LabelledDataset? = nil
    if let given, !given.isNil {
      newLabels = try EvaluationBindings.labelSets(given, a, "labels")
    } else if case .host(let d as DatasetObject) = value {
      newLabels = try EvaluationBindings.labelSets(d.data)
      newItems = d.data
    }
    if let l = newLabels, l.count != new.count {
      throw a.badArgument("labels", "\(new.count) items but \(l.count) labels")
    }
    try index.add(codes: new)
    labels = (wasEmpty || labels != nil) ? try merge(wasEmpty ? nil : labels, newLabels) : nil
    if let d = newItems, wasEmpty || items != nil {
      items = try items.map { try $0.concatenated(with: d) } ?? d
    } else {
      items = nil
    }
  }

  private func merge(_ old: LabelSets?, _ new: LabelSets?) throws -> LabelSets? {
    guard let new else { return nil }
    guard let old else { return new }
    let lists = try (0..<old.count).map { try old.labels(of: $0) } + (0..<new.count).map { try new.labels(of: $0) }
    return try LabelSets(labelLists: lists)
  }
}

/// The k best items of each query: ids and scores, best first.
final class SearchResultObject: ScriptHost {
  package static let scriptType = "search_result"
  let result: SearchResult

  init(_ result: SearchResult) { self.result = result }

  var description: String { result.description }

  func ids() throws -> Value { .items(try (0..<result.queryCount).map { .ints(try result.ids(query: $0)) }) }

  func subscriptGet(_ indices: [ScriptIndex]) throws -> Value? {
    guard indices.count == 1, case .value(let v) = indices[0], let i = v.integerValue else {
      throw ScriptError.failure("a search result takes one integer index (a query)")
    }
    let q = i < 0 ? i + result.queryCount : i
    guard q >= 0 && q < result.queryCount else {
      throw ScriptError.failure("query \(i) is out of range for \(result.queryCount) queries")
    }
    return .fields([("ids", .ints(try result.ids(query: q))), ("scores", .floats(try result.scores(query: q)))])
  }
}
