import ArgumentParser
import DPQData
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// `dpq bench map`: retrieval quality. mAP@all at 32 bits (M = 4, K = 256) of the 1,000 queries
/// against the 69,000 database items (relevant = same class), ranking by squared L2 to the
/// reconstruction (ADC) for PQ, OPQ and RQ, by inner product for the DPQ codes.
/// - `map/file/NAME`: the prepared index files; the faiss peer evaluates the same codebooks and
///   codes with its own search and a NumPy mAP, so the two must agree to rounding.
/// - `map/trained/KIND`: PQ, OPQ and RQ trained by dpq with three seeds (the faiss peer trains
///   its own with the same settings and seeds): the spread says what "within noise" means.
extension BenchCommand {
  static let mapSeeds: [UInt64] = [1234, 1, 2]

  func benchMap() throws -> BenchReport {
    var report = BenchReport(suite: "map")
    try requireData([
      "train_features.npy", "query_features.npy", "database_features.npy",
      "query_labels.npy", "database_labels.npy",
    ])
    let trainF = try NPY.readTensor(dataPath("train_features.npy"))
    let queryF = try NPY.readTensor(dataPath("query_features.npy"))
    let databaseF = try NPY.readTensor(dataPath("database_features.npy"))
    let relevance = Relevance(
      queries: try LabelSets(labels: NPY.readIntegers(dataPath("query_labels.npy")).values),
      database: try LabelSets(labels: NPY.readIntegers(dataPath("database_labels.npy")).values))
    func mapAtAll(_ index: Index) throws -> Double {
      try index.evaluate(queries: queryF, relevance: relevance, blocksList: [index.blockCount], precisionAt: [100])
        .codeLengths[0].meanAveragePrecision
    }
    for name in BenchCommand.searchIndexes where selected("map/file/\(name)") {
      let index = try Index.load(from: dataPath("\(name).safetensors"))
      report.add(
        BenchMeasurement(
          workload: "map/file/\(name)", unit: "mAP@all", higherIsBetter: true,
          values: [try mapAtAll(index)], info: ["metric": index.metric.rawValue]))
    }
    let d = trainF.shape[1]
    for kind in ["pq", "opq", "rq"] where selected("map/trained/\(kind)") {
      var maps: [Double] = []
      for seed in BenchCommand.mapSeeds {
        let index: Index
        switch kind {
        case "pq":
          var q = try ProductQuantizer(dimension: d, subspaceCount: 4, seed: seed)
          try q.train(trainF)
          index = try Index(quantizer: q, codes: q.encode(databaseF), metric: .squaredL2)
        case "opq":
          var q = try OptimizedProductQuantizer(
            dimension: d, subspaceCount: 4, outerIterations: BenchCommand.opqAlternations,
            initialRotation: .random, seed: seed)
          try q.train(trainF)
          index = try Index(quantizer: q, codes: q.encode(databaseF), metric: .squaredL2)
        default:
          var q = try ResidualQuantizer(dimension: d, blockCount: 4, seed: seed)
          try q.train(trainF)
          index = try Index(quantizer: q, codes: q.encode(databaseF), metric: .squaredL2)
        }
        maps.append(try mapAtAll(index))
      }
      report.add(
        BenchMeasurement(
          workload: "map/trained/\(kind)", unit: "mAP@all", higherIsBetter: true, values: maps,
          info: ["seeds": BenchCommand.mapSeeds.map { Int($0) }, "metric": "squaredL2", "bits": 32]))
    }
    return report
  }
}
