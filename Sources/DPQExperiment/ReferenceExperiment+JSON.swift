import DPQData
import DPQTensor
import Foundation

extension ReferenceExperiment {
  /// The result as the JSON of `dpq experiment --json` (issue 3's shape: `{"protocol": "fm5k",
  /// "map": {"DPQ": {"8": ..., ...}, "PQ": ...}, ...}`), with the settings and per-epoch log.
  public static func json(_ r: Result, options o: Options) throws -> Data {
    func byBits(_ d: [Int: Double]) -> [String: Double] {
      Dictionary(uniqueKeysWithValues: d.map { (String($0.key), $0.value) })
    }
    var map: [String: Any] = [:]
    var p100: [String: Any] = [:]
    var timing: [String: Any] = [:]
    for row in r.rows {
      map[row.method] = byBits(row.map)
      p100[row.method] = byBits(row.precisionAt100)
      timing[row.method] = [
        "training_seconds": row.trainingSeconds, "encoding_per_second": row.encodingPerSecond,
        "queries_per_second": row.queriesPerSecond,
      ]
    }
    let object: [String: Any] = [
      "protocol": r.protocolName, "split": r.split, "map": map, "precision_at_100": p100, "timing": timing,
      "query_accuracy": r.testAccuracy, "feature_map": r.featureMAP, "feature_map_ip": r.featureMAPInnerProduct,
      "notes": r.notes,
      "settings": [
        "epochs": o.training.epochs, "batch": o.training.batchSize, "mode": o.training.mode.rawValue,
        "similarity": o.model.similarity.rawValue, "gamma": Double(o.model.gamma),
        "seed": Int(o.seed), "augment_shift": o.augmentShift, "horizontal_flip": o.horizontalFlip,
        "batch_norm": o.model.batchNorm, "tau": Double(o.model.tau), "dropout": Double(o.model.dropout),
        "label_smoothing": Double(o.training.labelSmoothing),
        "weight_decay": Double(o.training.resolvedWeightDecay),
        "network_optimizer": o.training.networkOptimizer.rawValue,
        "prefix_classification_weight": Double(o.training.prefixClassificationWeight),
        "prefix_classification_end_to_end": o.training.prefixClassificationReachesNetwork,
        "ranking_weight": Double(o.training.rankingWeight), "ranking_scale": Double(o.training.rankingScale),
        "ranking_end_to_end": o.training.rankingReachesNetwork,
        "revive_codewords": o.training.reviveUnusedCodewords,
        "codebook_init": o.training.codebookInitialisation.rawValue,
        "learning_rate": Double(o.training.networkLearningRate),
        "warmup_epochs": o.training.resolvedWarmup,
        "end_to_end_gradients": o.training.quantizationReachesNetwork,
        "main_ranking": o.mainRanking.rawValue, "split_seed": Int(o.splitSeed ?? o.seed),
      ],
      "rankings": r.rankings.map(\.rawValue),
      "dpq_minus_best": r.comparisons.map { c in
        [
          "ranking": c.ranking.rawValue, "bits": c.bits, "baseline": c.baseline, "mean": c.difference.mean,
          "low": c.difference.low, "high": c.difference.high, "queries": c.difference.count,
        ] as [String: Any]
      },
      "epochs": r.log.map { l in
        [
          "epoch": l.epoch, "stage": l.stage, "classification": Double(l.classificationLoss),
          "soft": Double(l.softLoss), "hard": Double(l.hardLoss), "joint": Double(l.jointLoss),
          "accuracy": Double(l.accuracy), "images_per_second": l.imagesPerSecond,
        ]
      },
      "machine": ["openblas_core": BLAS.coreName, "threads": engineThreadCount],
    ]
    return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  }

  /// A seed summary as JSON: per method and bits the mean, sd and each seed's value, and the
  /// paired comparisons, with the settings of the first seed's run.
  public static func json(_ s: SeedSummary, options o: Options) throws -> Data {
    var map: [String: Any] = [:]
    for row in s.rows {
      var cells: [String: Any] = [:]
      for (b, c) in row.map {
        cells[String(b)] = [
          "mean": c.mean, "sd": c.standardDeviation,
          "per_seed": s.results.map { r in r.rows.first { $0.method == row.method }?.map[b] ?? .nan },
        ]
      }
      map[row.method] = cells
    }
    let first = try JSONSerialization.jsonObject(with: json(s.results[0], options: o)) as? [String: Any] ?? [:]
    let object: [String: Any] = [
      "protocol": s.results[0].protocolName, "split": s.results[0].split, "seeds": s.seeds.map { Int($0) },
      "map": map, "query_accuracy": ["mean": s.accuracy.mean, "sd": s.accuracy.standardDeviation],
      "rankings": s.results[0].rankings.map(\.rawValue),
      "dpq_minus_best": s.comparisons.map { c in
        [
          "ranking": c.ranking.rawValue, "bits": c.bits, "baseline": c.baseline, "mean": c.difference.mean,
          "low": c.difference.low, "high": c.difference.high, "queries": c.difference.count,
        ] as [String: Any]
      },
      "settings": first["settings"] ?? [:], "notes": s.results[0].notes, "machine": first["machine"] ?? [:],
    ]
    return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  }

  /// Writes a seed summary's JSON atomically, creating its directory.
  public static func writeJSON(_ s: SeedSummary, options o: Options, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    // through AtomicWriter, not Data's .atomic: that replaces a symlink and resets permissions
    try AtomicWriter.write(path, bytes: [UInt8](try json(s, options: o)))
  }

  /// Writes `json(r, options:)` to a file atomically, creating its directory.
  public static func writeJSON(_ r: Result, options o: Options, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try AtomicWriter.write(path, bytes: [UInt8](try json(r, options: o)))
  }
}
