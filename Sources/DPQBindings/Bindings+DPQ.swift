import DPQData
import DPQLanguage
import DPQNN
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// The dpq family: building, inspecting, saving and loading DPQ models (training in
/// Bindings+Training.swift, codes in Bindings+Codes.swift).
enum ModelBindings {
  static let family = "dpq"
  static let modelType = ValueType.host(ModelObject.scriptType)
  /// A small model on `blobs` data for the examples: they must run in milliseconds.
  static let exampleModel =
    "d = blobs(n: 64, classes: 4, dim: 8, seed: 1)\nm = dpq(backbone: \"mlp\", input: 8, hidden: [16], dim: 6, blocks: 2, codewords: 4, classes: 4)\n"

  static func register(into r: inout BuiltinRegistry) {
    registerConstruction(into: &r)
    registerTraining(into: &r)
    registerInspection(into: &r)
    registerTrainingLog(into: &r)
    registerCodes(into: &r)
  }

  // MARK: inputs

  /// The raw inputs of a dataset or tensor, checked against the model's input shape.
  static func inputs(_ m: ModelObject, _ value: Value, _ a: Arguments, _ name: String) throws -> Tensor {
    let x: Tensor
    switch value {
    case .host(let h as DatasetObject): x = h.data.features
    case .host(let h as SplitObject):
      throw a.badArgument(
        name,
        "a dataset or tensor expected, got a split: use split.train, split.query or split.database (\(h.split.name))")
    default: x = try TensorConversion.tensor(from: value)
    }
    if x.shape == m.inputShape { return try x.reshaped([1] + x.shape) }
    guard Array(x.shape.dropFirst()) == m.inputShape else {
      throw a.badArgument(
        name,
        "inputs [n, \(m.inputShape.map(String.init).joined(separator: ", "))] expected, got shape \(Format.shape(x.shape))"
      )
    }
    return x
  }

  /// The `as:` keyword of the calls that take inputs or features: "inputs" or "features".
  static var inputKindParameter: Parameter { Parameter.keyword("as", .optional(.string), default: .nilValue) }

  /// Features [n, D]: computed by the network from a dataset or a tensor of inputs, or taken as
  /// they are from an [n, D] (or [D]) tensor. A tensor that fits both (an MLP whose input width
  /// equals D) is ambiguous: the call's `as:` ("inputs" or "features") decides, and without it
  /// the call is refused rather than guessing.
  static func features(_ m: ModelObject, _ value: Value, _ a: Arguments, _ name: String) throws -> Tensor {
    let d = m.model.featureDimension
    let given = a.declares("as") && a.has("as") ? try a.choice("as", ["inputs", "features"]) : nil
    guard case .tensor(let t) = value else {
      if given == "features" { throw a.badArgument(name, "features must be a tensor [n, \(d)], got \(value.typeName)") }
      return try extract(m, inputs(m, value, a, name), a)
    }
    let fitsInputs = Array(t.shape.dropFirst()) == m.inputShape || t.shape == m.inputShape
    let fitsFeatures = (t.rank == 2 && t.shape[1] == d) || (t.rank == 1 && t.count == d)
    let asFeatures: Bool
    switch given {
    case "features"?:
      guard fitsFeatures else {
        throw a.badArgument(name, "features [n, \(d)] expected, got shape \(Format.shape(t.shape))")
      }
      asFeatures = true
    case "inputs"?: asFeatures = false
    default:
      if fitsInputs && fitsFeatures {
        throw a.badArgument(
          name,
          "a tensor of shape \(Format.shape(t.shape)) fits both this model's inputs and its features (D = \(d)); say which with as: \"inputs\" or as: \"features\""
        )
      }
      guard fitsInputs || fitsFeatures else {
        throw a.badArgument(
          name,
          "inputs [n, \(m.inputShape.map(String.init).joined(separator: ", "))] or features [n, \(d)] expected, got shape \(Format.shape(t.shape))"
        )
      }
      asFeatures = fitsFeatures
    }
    if asFeatures { return t.rank == 1 ? try t.reshaped([1, d]) : t }
    return try extract(m, inputs(m, value, a, name), a)
  }

  /// The network's features of inputs, batch by batch in evaluation mode. More than one batch
  /// reports progress to the host's reporter; a stop request stops the script after the batch.
  static func extract(_ m: ModelObject, _ x: Tensor, batchSize: Int = 500, _ a: Arguments) throws -> Tensor {
    let n = x.shape.first ?? 0
    let reporter = n > batchSize ? a.interpreter.bindingSettings.progress : nil
    let start = monotonicSeconds()
    reporter?.begin("features", total: n, unit: "img")
    let features = try m.model.extractFeatures(
      x, batchSize: batchSize, progress: { done, _ in reporter?.update(completed: done, detail: "") },
      shouldStop: a.shouldStop)
    let seconds = monotonicSeconds() - start
    let done = features.shape.first ?? 0
    reporter?.end(
      done < n
        ? "features: stopped after \(Format.grouped(done)) of \(Format.grouped(n)) images"
        : "features: \(Format.grouped(n)) images in \(Format.fixed(seconds, 1)) s (\(Format.grouped(Int((Double(n) / max(seconds, 1e-9)).rounded()))) img/s)"
    )
    try a.stopIfRequested()
    return features
  }

  static func codes(_ value: Value, _ a: Arguments, _ name: String) throws -> Codes {
    guard case .host(let h as CodesObject) = value else {
      throw a.badArgument(name, "codes expected, got \(value.typeName)")
    }
    return h.codes
  }

  // MARK: dpq, load_model

  static func registerConstruction(into r: inout BuiltinRegistry) {
    // The defaults are dpq's recipe (docs/dpq.md), the same as `dpq experiment`'s.
    let r0 = DPQConfiguration.recommended
    r.add(
      "dpq", family: family,
      [
        .keyword("backbone", .string, default: .string(r0.backbone.rawValue)),
        .keyword("input", .optional(.shape), default: .nilValue),
        .keyword("hidden", .shape, default: .items([.int(512)])), .keyword("dim", .integer, default: .number(300)),
        .keyword("blocks", .integer, default: .number(4)), .keyword("codewords", .integer, default: .number(256)),
        .keyword("classes", .integer, default: .number(10)),
        .keyword("similarity", .string, default: .string(r0.similarity.rawValue)),
        .keyword("gamma", .number, default: .float(r0.gamma)), .keyword("lambda", .number, default: .float(r0.lambda)),
        .keyword("tau", .number, default: .float(r0.tau)), .keyword("mu", .number, default: .float(r0.mu)),
        .keyword("nu", .number, default: .number(0.1)), .keyword("dropout", .number, default: .number(0.5)),
        .keyword("batch_norm", .bool, default: .bool(r0.batchNorm)),
        .keyword("classify_reconstruction", .bool, default: .bool(false)),
        .keyword("multi_label", .bool, default: .bool(false)), .keyword("seed", .integer, default: .number(0)),
        .keyword("weights", .optional(.string), default: .nilValue), .keyword("freeze", .bool, default: .bool(false)),
      ],
      returns: "model", summary: "A new DPQ model: a feature network and M progressive codebooks of K codewords.",
      doc:
        "`backbone:` \"lenet\" (28x28 grey images), \"cifar\" (32x32 colour), \"mlp\" (feature vectors of size `input:`, hidden layers `hidden:`), or torchvision's \"alexnet\" (the paper's, up to fc7) and \"resnet18\" (colour images, `input:` [3, h, w], default [3, 224, 224]). `weights:` loads a torchvision checkpoint saved as safetensors into the backbone (its ImageNet classifier is left out); `freeze: true` then trains only the feature layer, classifier and codebooks, the backbone's BatchNorm staying in evaluation mode. `dim:` is the feature dimension D, `blocks:` M, `codewords:` K (a code of m blocks has m * log2(K) bits). `similarity:` \"cosine\", \"l2\" or \"ip\"; `gamma:` the softmax temperature; the defaults are dpq's recipe, chosen on the FM-5k validation split (cosine, gamma 10, tau 0.1, BatchNorm; docs/dpq.md); `lambda`, `tau`, `mu`, `nu` weight the classification, quantization, hard and joint losses (PAPER.md).",
      example:
        "m = dpq(backbone: \"mlp\", input: 8, hidden: [16], dim: 6, blocks: 2, codewords: 4, classes: 4)\nm.config.bits"
    ) { a in
      var c = DPQConfiguration()
      let backbone = try a.choice("backbone", BackboneKind.allCases.map(\.rawValue))
      c.backbone = BackboneKind(rawValue: backbone) ?? .lenet
      switch c.backbone {
      case .lenet: c.inputShape = [1, 28, 28]
      case .cifar: c.inputShape = [3, 32, 32]
      case .mlp:
        guard a.has("input") else {
          throw a.badArgument("input", "the mlp backbone needs input: (the size of a feature vector)")
        }
      case .alexnet, .resnet18: c.inputShape = [3, 224, 224]
      }
      if a.has("input") { c.inputShape = try a.shape("input") }
      c.hiddenSizes = try a.shape("hidden")
      c.featureDimension = try a.integer("dim")
      c.blockCount = try a.integer("blocks")
      c.codewordCount = try a.integer("codewords")
      c.classCount = try a.integer("classes")
      c.similarity =
        Similarity(rawValue: try a.choice("similarity", Similarity.allCases.map(\.rawValue))) ?? .negativeSquaredL2
      (c.gamma, c.lambda, c.tau, c.mu, c.nu) = (
        try a.float("gamma"), try a.float("lambda"), try a.float("tau"), try a.float("mu"), try a.float("nu")
      )
      c.dropout = try a.float("dropout")
      c.batchNorm = try a.bool("batch_norm")
      c.classifyReconstruction = try a.bool("classify_reconstruction")
      c.multiLabel = try a.bool("multi_label")
      let model = try DPQModel(c, seed: a.seed())
      if a.has("weights") { try model.loadBackboneWeights(from: a.string("weights")) }
      model.frozenBackbone = try a.bool("freeze")
      return .host(ModelObject(model))
    }
    r.add(
      "load_model", family: family,
      [Parameter("path", .string), .keyword("config", .optional(.record), default: .nilValue)],
      returns: "model",
      summary: "Reads a model saved by model.save (safetensors with its configuration), checking every tensor.",
      doc:
        "`config:` (a record of dpq()'s keywords, e.g. {backbone: \"mlp\", input: 8, hidden: [16], dim: 6}) also reads a plain PyTorch state dict saved with safetensors' save_file (no dpq metadata): BatchNorm's num_batches_tracked is ignored, a DDP `module.` prefix removed, F16 and BF16 read as F32. For a dpq file, `config:` must match its architecture. docs/interop.md shows the PyTorch side (python/dpq_torch).",
      example: exampleModel
        + "m.save(\"/tmp/dpq-example-model.safetensors\")\nload_model(\"/tmp/dpq-example-model.safetensors\").config.blocks\nload_model(\"/tmp/dpq-example-model.safetensors\", config: {backbone: \"mlp\", input: 8, hidden: [16], dim: 6, blocks: 2, codewords: 4, classes: 4}).config.dim"
    ) { a in
      let path = try a.string("path")
      guard a.has("config") else { return .host(ModelObject(try DPQModel.load(from: path))) }
      return .host(
        ModelObject(try DPQModel.load(from: path, configuration: configuration(fromRecord: a.record("config"), a))))
    }
  }

  /// The configuration `dpq(...)` builds from the record's fields as keywords, so a config record
  /// takes exactly dpq()'s names, defaults and checks.
  static func configuration(fromRecord record: RecordObject, _ a: Arguments) throws -> DPQConfiguration {
    guard let builder = a.interpreter.registry.functions["dpq"] else {
      throw ScriptError.failure("dpq() is not registered")
    }
    let call = CallArguments(positional: [], keywords: record.fields.map { ($0.key, $0.value) })
    let bound = try Arguments.bind(builder, receiver: nil, call: call, interpreter: a.interpreter, location: a.location)
    guard case .host(let h) = try builder.body(bound), let m = h as? ModelObject else {
      throw ScriptError.failure("dpq() did not build a model from config:")
    }
    return m.model.configuration
  }

  // MARK: model methods

  static func registerInspection(into r: inout BuiltinRegistry) {
    let ex = exampleModel
    let dataParameter = Parameter("data")
    let asParameter = inputKindParameter
    r.method(
      "call", of: ModelObject.self, family: family, [Parameter("x")], returns: "tensor",
      summary: "Calling a model gives the class logits of a batch of inputs (a tensor or a dataset).",
      example: ex + "m(d[0:3]).shape"
    ) { m, a in
      .tensor(try Tensor.withNoGrad { try m.model(inputs(m, a["x"], a, "x")) })
    }
    r.method(
      "features", of: ModelObject.self, family: family,
      [dataParameter, .keyword("batch", .integer, default: .number(500))],
      returns: "tensor", summary: "The D-dimensional features of inputs (a dataset or tensor), in evaluation mode.",
      example: ex + "m.features(d).shape"
    ) { m, a in
      return .tensor(try extract(m, inputs(m, a["data"], a, "data"), batchSize: a.positive("batch"), a))
    }
    r.method(
      "class_queries", of: ModelObject.self, family: family, [dataParameter, asParameter], returns: "tensor",
      summary:
        "Class queries [n, D]: for each input (or feature row), the classifier's weight row of its predicted class.",
      doc:
        "Searching an inner-product index of the model's codes with them ranks the database by the logit its reconstructions get for the query's predicted class: the main rows of `dpq experiment` (docs/dpq.md). The query's own features (`m.features`) give the paper's AQD.",
      example: ex + "m.class_queries(d).shape"
    ) { m, a in
      .tensor(try m.model.classQueries(features: features(m, a["data"], a, "data")))
    }
    r.method(
      "encode", of: ModelObject.self, family: family, [dataParameter, asParameter], returns: "codes",
      summary: "The codes (M blocks each) of inputs, or of features [n, D].",
      doc:
        "A dataset or a tensor shaped like inputs goes through the network first; an [n, D] tensor is taken as features. A tensor that fits both (an MLP whose input width is D) needs `as:` \"inputs\" or \"features\".",
      example: ex + "c = m.encode(d)\nc[0]"
    ) { m, a in
      .host(CodesObject(try m.model.encode(features: features(m, a["data"], a, "data"))))
    }
    r.method(
      "decode", of: ModelObject.self, family: family,
      [
        Parameter("codes", .host(CodesObject.scriptType)),
        .keyword("blocks", .optional(.integer), default: .nilValue),
      ],
      returns: "tensor",
      summary: "Reconstructions [n, D]: the sum of each item's codewords over the first `blocks` blocks.",
      example: ex + "m.decode(m.encode(d), blocks: 1).shape"
    ) { m, a in
      .tensor(try m.model.decode(codes(a["codes"], a, "codes"), blocks: a.optionalInteger("blocks")))
    }
    r.method(
      "codebook", of: ModelObject.self, family: family, [Parameter("block", .integer)], returns: "tensor",
      summary: "The codebook of one block, [K, D], counted from 1 as in the paper.",
      example: ex + "m.codebook(1).shape"
    ) { m, a in
      let b = try a.integer("block")
      guard b >= 1 && b <= m.model.blockCount else {
        throw a.badArgument("block", "a block in 1...\(m.model.blockCount) expected, got \(b)")
      }
      return .tensor(try m.model.codebook(b).detached())
    }
    r.property(
      "codebooks", of: ModelObject.self, family: family, returns: "tensor",
      summary: "All codebooks stacked, [M, K, D].", example: ex + "m.codebooks.shape"
    ) { m in
      .tensor(try m.model.stackedCodebooks().detached())
    }
    r.property(
      "quantizer", of: ModelObject.self, family: family, returns: "quantizer",
      summary:
        "The model's quantizer part (a copy of its codebooks) as a quantizer, like pq/opq/rq give: encode, decode, index, save.",
      example: ex + "q = m.quantizer\nq.kind"
    ) { m in
      .host(QuantizerObject(try m.model.quantizer))
    }
    r.method(
      "codeword_counts", of: ModelObject.self, family: family, [dataParameter, asParameter], returns: "list",
      summary: "How often each codeword encodes the data: one list of K counts per block.",
      example: ex + "m.codeword_counts(d)[0]"
    ) { m, a in
      .items(counts(try m.model.encode(features: features(m, a["data"], a, "data"))).map { .ints($0) })
    }
    r.method(
      "codeword_usage", of: ModelObject.self, family: family, [dataParameter, asParameter], returns: "list",
      summary: "The fraction of each block's K codewords that some item of the data uses.",
      example: ex + "m.codeword_usage(d)"
    ) { m, a in
      .floats(DPQModel.codewordUsage(try m.model.encode(features: features(m, a["data"], a, "data"))))
    }
    r.method(
      "distortion", of: ModelObject.self, family: family, [dataParameter, asParameter], returns: "list",
      summary: "Relative distortion ||x - x_hat||^2 / ||x||^2 of the data's features after 1, 2, ..., M blocks.",
      example: ex + "m.distortion(d)"
    ) { m, a in
      .floats(try m.model.relativeDistortion(features: features(m, a["data"], a, "data")))
    }
    r.method(
      "lookup_table", of: ModelObject.self, family: family,
      [Parameter("query"), .keyword("blocks", .optional(.integer), default: .nilValue), asParameter], returns: "tensor",
      summary: "The lookup tables [blocks, K] of one query: T[m, k] = <q, c_mk>, the values a search adds up.",
      doc: "The query is a feature vector [D] or one input (an item shaped like the model's inputs).",
      example: ex + "m.lookup_table(d[0].features).shape"
    ) { m, a in
      let q = try features(m, a["query"], a, "query")
      guard q.shape[0] == 1 else { throw a.badArgument("query", "one query expected, got \(q.shape[0])") }
      let index = try Index(layout: .additive(codebooks: m.model.stackedCodebooks().detached()))
      return .tensor(try index.lookupTable(query: q, blocks: a.optionalInteger("blocks")))
    }
    r.method(
      "predict", of: ModelObject.self, family: family, [dataParameter, asParameter], returns: "list",
      summary: "The predicted class of each input (the classifier's largest logit).",
      example: ex + "m.predict(d[0:4])"
    ) { m, a in
      .ints(
        try Tensor.withNoGrad {
          try m.model.network.logits(features: features(m, a["data"], a, "data")).argmax(axis: 1)
        })
    }
    r.method(
      "accuracy", of: ModelObject.self, family: family, [Parameter("data", DataBindings.datasetType)],
      returns: "number",
      summary: "The classifier's accuracy on a labelled dataset.", example: ex + "m.accuracy(d)"
    ) { m, a in
      let d = try a.host("data", as: DatasetObject.self).data
      let predicted = try Tensor.withNoGrad {
        try m.model.network.logits(features: features(m, a["data"], a, "data")).argmax(axis: 1)
      }
      return .number(Double(zip(predicted, d.labels).filter { $0 == $1 }.count) / Double(max(1, d.count)))
    }
    r.method(
      "forward", of: ModelObject.self, family: family, [Parameter("x")], returns: "record",
      summary: "One training forward pass of a batch: {features, logits, soft, hard, codes}, with gradients.",
      doc:
        "`soft` and `hard` list the prefix reconstructions after 1..M blocks; `codes` one list of codes per block. With `model.losses` this allows a training loop written in the language.",
      example: ex + "f = m.forward(d.features[0:4])\nlen(f.hard)\nf.codes[0]"
    ) { m, a in
      let out = try m.model.forwardAll(inputs(m, a["x"], a, "x"))
      return .fields([
        ("features", .tensor(out.features)), ("logits", .tensor(out.logits)),
        ("soft", .items(out.quantization.softReconstructions.map { .tensor($0) })),
        ("hard", .items(out.quantization.hardReconstructions.map { .tensor($0) })),
        ("codes", .items(out.quantization.codes.map { .ints($0) })),
      ])
    }
    r.method(
      "losses", of: ModelObject.self, family: family, [Parameter("x"), Parameter("labels")], returns: "record",
      summary:
        "The DPQ losses of a batch: {classification, soft, hard, joint, total} as scalar tensors with gradients.",
      doc: "total = lambda * classification + tau * (soft + mu * hard + nu * joint), the objective of PAPER.md.",
      example: ex + "l = m.losses(d.features[0:8], d.labels[0:8])\nl.total.backward()\nm.codebooks.shape"
    ) { m, a in
      let c = m.model.configuration
      let out = try m.model.forwardAll(inputs(m, a["x"], a, "x"))
      let cls: Tensor
      if c.multiLabel {
        cls = try sigmoidCrossEntropy(logits: out.logits, targets: a.tensor("labels"))
      } else {
        cls = try softmaxCrossEntropy(logits: out.logits, labels: a.labels("labels"))
      }
      let l = try ProgressiveQuantization.losses(features: out.features, out.quantization)
      let total = try cls * c.lambda + (l.soft + l.hard * c.mu + l.joint * c.nu) * c.tau
      return .fields([
        ("classification", .tensor(cls)), ("soft", .tensor(l.soft)), ("hard", .tensor(l.hard)),
        ("joint", .tensor(l.joint)), ("total", .tensor(total)),
      ])
    }
    r.method(
      "parameters", of: ModelObject.self, family: family, returns: "list",
      summary: "Every trainable parameter: the network's and the codebooks (codebooks.0, ...).",
      example: ex + "len(m.parameters())"
    ) { m, _ in
      .items(m.model.namedParameters().map { .host(ParameterObject($0.1, name: $0.0)) })
    }
    r.method(
      "train", of: ModelObject.self, family: family, [Parameter("mode", .bool, default: .bool(true))], returns: "model",
      summary: "Switches the network to training mode (dropout on); returns the model.",
      example: ex + "m.train().network.training"
    ) { m, a in
      m.model.train(try a.bool("mode"))
      return a.receiver ?? .nilValue
    }
    r.method(
      "eval", of: ModelObject.self, family: family, returns: "model",
      summary: "Switches the network to evaluation mode; returns the model.", example: ex + "m.eval().network.training"
    ) { m, a in
      m.model.eval()
      return a.receiver ?? .nilValue
    }
    r.property(
      "log", of: ModelObject.self, family: family, returns: "training_log or nil",
      summary: "The log of the model's last train() call, also when a stop request (Ctrl-C) cut it short.",
      example: ex + "train(m, d, epochs: 1, batch: 32)\nm.log.epochs"
    ) { m in m.log.map { .host($0) } ?? .nilValue }
    r.property(
      "network", of: ModelObject.self, family: family, returns: "module",
      summary: "The feature network (backbone, feature layer, classifier) as a module.",
      example: ex + "m.network.parameter_count"
    ) { .host(ModuleObject($0.model.network)) }
    r.property(
      "config", of: ModelObject.self, family: family, returns: "record",
      summary: "The model's configuration: backbone, input, dim, blocks, codewords, bits, similarity, loss weights.",
      example: ex + "m.config"
    ) { m in
      let c = m.model.configuration
      return .fields([
        ("backbone", .string(c.backbone.rawValue)), ("input", .ints(c.inputShape)), ("hidden", .ints(c.hiddenSizes)),
        ("dim", .int(c.featureDimension)), ("blocks", .int(c.blockCount)), ("codewords", .int(c.codewordCount)),
        ("bits", .int(c.bits(blocks: c.blockCount))), ("classes", .int(c.classCount)),
        ("similarity", .string(c.similarity.rawValue)), ("gamma", .float(c.gamma)), ("lambda", .float(c.lambda)),
        ("tau", .float(c.tau)), ("mu", .float(c.mu)), ("nu", .float(c.nu)), ("dropout", .float(c.dropout)),
        ("batch_norm", .bool(c.batchNorm)), ("multi_label", .bool(c.multiLabel)),
      ])
    }
    r.method(
      "save", of: ModelObject.self, family: family, [Parameter("path", .string)], returns: "nil",
      summary: "Writes the model (weights and configuration) as safetensors, atomically; load_model reads it.",
      example: ex + "m.save(\"/tmp/dpq-example-model.safetensors\")"
    ) { m, a in
      try m.model.save(to: a.string("path"))
      return .nilValue
    }
  }

  /// Codeword counts per block.
  static func counts(_ codes: Codes) -> [[Int]] {
    var counts = [[Int]](repeating: [Int](repeating: 0, count: codes.codewordCount), count: codes.blockCount)
    for i in 0..<codes.count { for m in 0..<codes.blockCount { counts[m][codes[i, m]] += 1 } }
    return counts
  }
}
