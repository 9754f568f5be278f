import DPQTensor
import Foundation

extension ReferenceExperiment {
  /// The result as the JSON of `dpq experiment --json` (issue 3's shape: `{"protocol": "fm5k",
  /// "map": {"DPQ": {"8": ..., ...}, "PQ": ...}, ...}`), with the settings and per-epoch log.
  public static func json(_ r: Result, options o: Options) throws -> Data {
    func byBits(_ d: [Int: Double]) -> [String: Double] { Dictionary(uniqueKeysWithValues: d.map { (String($0.key), $0.value) }) }
    var map: [String: Any] = [:], p100: [String: Any] = [:], timing: [String: Any] = [:]
    for row in r.rows {
      map[row.method] = byBits(row.map)
      p100[row.method] = byBits(row.precisionAt100)
      timing[row.method] = ["training_seconds": row.trainingSeconds, "encoding_per_second": row.encodingPerSecond,
                            "queries_per_second": row.queriesPerSecond]
    }
    let object: [String: Any] = [
      "protocol": r.protocolName, "split": r.split, "map": map, "precision_at_100": p100, "timing": timing,
      "query_accuracy": r.testAccuracy, "feature_map": r.featureMAP, "notes": r.notes,
      "settings": ["epochs": o.training.epochs, "batch": o.training.batchSize, "mode": o.training.mode.rawValue,
                   "similarity": o.model.similarity.rawValue, "gamma": Double(o.model.gamma),
                   "seed": Int(o.seed), "augment_shift": o.augmentShift, "horizontal_flip": o.horizontalFlip,
                   "batch_norm": o.model.batchNorm, "tau": Double(o.model.tau), "dropout": Double(o.model.dropout), "label_smoothing": Double(o.training.labelSmoothing),
                   "weight_decay": Double(o.training.weightDecay), "learning_rate": Double(o.training.networkLearningRate),
                   "warmup_epochs": o.training.resolvedWarmup,
                   "end_to_end_gradients": o.training.quantizationReachesNetwork,
                   "query": o.query.rawValue, "feature_query_metric": o.searchMetric.rawValue],
      "epochs": r.log.map { l in ["epoch": l.epoch, "stage": l.stage, "classification": Double(l.classificationLoss),
                                  "soft": Double(l.softLoss), "hard": Double(l.hardLoss), "joint": Double(l.jointLoss),
                                  "accuracy": Double(l.accuracy), "images_per_second": l.imagesPerSecond] },
      "machine": ["openblas_core": BLAS.coreName, "threads": BLAS.threadCount],
    ]
    return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  }

  /// Writes `json(r, options:)` to a file atomically, creating its directory.
  public static func writeJSON(_ r: Result, options o: Options, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try json(r, options: o).write(to: url, options: .atomic)
  }
}
