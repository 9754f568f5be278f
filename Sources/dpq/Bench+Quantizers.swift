import ArgumentParser
import DPQData
import DPQQuantization
import DPQTensor
import Foundation

/// `dpq bench quantizers`: k-means (K = 256), PQ, OPQ and RQ (M = 4, K = 256) on the prepared
/// learned features (5,000 x 300 training, 69,000 x 300 database) and on raw pixels (784-d):
/// seconds to train on the training set, database vectors encoded per second, and the relative
/// distortion `sum ||x - x_hat||^2 / sum ||x||^2` of the encoded database. The faiss peer
/// (scripts/peers/faiss_bench.py) runs the same settings: 25 Lloyd iterations, k-means++ seeding,
/// the seed of `--seed`, OPQ from a random rotation with 6 rotation updates and 4 iterations
/// between them, greedy RQ encoding.
extension BenchCommand {
  static let quantizerKinds = ["kmeans", "pq", "opq", "rq"]
  /// OPQ rotation updates in the benchmark, as many as faiss's OPQMatrix makes with niter = 6 (the
  /// default 20 would make OPQ on 784-d pixels dominate the whole run).
  static let opqAlternations = 6

  func benchQuantizers() throws -> BenchReport {
    var report = BenchReport(suite: "quantizers")
    let sets = [
      ("features", "train_features.npy", "database_features.npy"),
      ("pixels", "train_pixels.npy", "database_pixels.npy"),
    ]
    try requireData(sets.flatMap { [$0.1, $0.2] })
    for (name, trainFile, databaseFile) in sets {
      let kinds = BenchCommand.quantizerKinds.filter { selected("quant/\(name)/\($0)") }
      if kinds.isEmpty { continue }
      let train = try NPY.readTensor(dataPath(trainFile))
      let database = try NPY.readTensor(dataPath(databaseFile))
      let energy = database.withUnsafeBufferPointer { b in b.reduce(0.0) { $0 + Double($1) * Double($1) } }
      for kind in kinds {
        var trainTimes: [Double] = []
        var encodeRates: [Double] = []
        var distortion = Double.nan
        for _ in 0..<runs {
          let t0 = Stopwatch.now()
          let encoder = try trainQuantizer(kind, on: train)
          let t1 = Stopwatch.now()
          let reconstruction = try encoder(database)
          let t2 = Stopwatch.now()
          trainTimes.append(t1 - t0)
          encodeRates.append(Double(database.shape[0]) / (t2 - t1))
          distortion = database.sumSquaredDifference(try reconstruction.decoded()) / energy
        }
        let info: [String: Any] = [
          "train": train.shape, "database": database.shape, "K": 256, "M": kind == "kmeans" ? 1 : 4,
          "iterations": 25, "seed": Int(seed), "threads": threads,
          "seeding": "k-means++",
        ]
        let key = "quant/\(name)/\(kind)"
        report.add(
          BenchMeasurement(workload: "\(key)/train", unit: "s", higherIsBetter: false, values: trainTimes, info: info))
        report.add(
          BenchMeasurement(
            workload: "\(key)/encode", unit: "vectors/s", higherIsBetter: true, values: encodeRates, info: info))
        report.add(
          BenchMeasurement(
            workload: "\(key)/distortion", unit: "relative distortion", higherIsBetter: false,
            values: [distortion], info: info))
      }
    }
    report.notes.append("encode: the 69,000 database vectors; k-means 'encode' is the nearest-centroid assignment")
    return report
  }

  /// What encoding produced, decoded only after the clock stops.
  struct Encoded {
    let decoded: () throws -> Tensor
  }

  /// Trains one quantizer on `x` and returns its encoder (timed separately by the caller).
  func trainQuantizer(_ kind: String, on x: Tensor) throws -> (Tensor) throws -> Encoded {
    let d = x.shape[1]
    // --verbose: when each training phase ends (what a profile of a slow run starts from).
    let start = Stopwatch.now()
    var lastPhase = ""
    let control = TrainingControl(
      progress: verbose
        ? { step in
          if step.phase != lastPhase {
            benchLog(String(format: "  %@ %@ starts at %.3f s", kind, step.phase, Stopwatch.now() - start))
            lastPhase = step.phase
          }
        } : nil)
    if kind == "kmeans" {
      let centroids = try KMeans(k: 256, iterations: 25, seed: seed).fit(x).centroids
      return { y in
        let labels = try y.nearestRows(of: centroids).labels
        return Encoded { try centroids.indexSelect(axis: 0, indices: labels) }
      }
    }
    guard let make = quantizerMakers[kind] else { throw ValidationError("unknown quantizer '\(kind)'") }
    var q = try make(d)
    try q.train(x, control: control)
    let trained = q
    return { y in
      let codes = try trained.encode(y)
      return Encoded { try trained.decode(codes) }
    }
  }

  /// The quantizers measured beside faiss (M = 4, K = 256), by kind: the same settings as
  /// scripts/peers/faiss_bench.py.
  var quantizerMakers: [String: (_ dimension: Int) throws -> any VectorQuantizer] {
    let seed = seed
    return [
      "pq": { d in try ProductQuantizer(dimension: d, subspaceCount: 4, seed: seed) },
      // faiss's OPQMatrix starts from a random rotation; dpq's default (identity) is measured in
      // docs/benchmarks.md's notes.
      "opq": { d in
        try OptimizedProductQuantizer(
          dimension: d, subspaceCount: 4, outerIterations: BenchCommand.opqAlternations,
          initialRotation: .random, seed: seed)
      },
      "rq": { d in try ResidualQuantizer(dimension: d, blockCount: 4, seed: seed) },
    ]
  }
}
