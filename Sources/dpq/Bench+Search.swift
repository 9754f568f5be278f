import ArgumentParser
import DPQData
import DPQRetrieval
import DPQTensor
import Foundation

/// `dpq bench search`: top-100 lookup-table search of the 1,000 prepared queries against the
/// 69,000 database codes (M = 4 bytes each), on 1 and 2 threads, for the DPQ codes (additive,
/// inner product), PQ, OPQ and RQ (squared L2). The faiss peer searches the same codebooks and
/// codes, exported with scripts/export-faiss.
extension BenchCommand {
  static let searchIndexes = ["dpq_ip", "pq_l2", "opq_l2", "rq_l2"]

  func benchSearch() throws -> BenchReport {
    var report = BenchReport(suite: "search")
    try requireData(["query_features.npy"] + BenchCommand.searchIndexes.map { "\($0).safetensors" })
    let queries = try NPY.readTensor(dataPath("query_features.npy"))
    for name in BenchCommand.searchIndexes where selected("search/\(name)") {
      let index = try Index.load(from: dataPath("\(name).safetensors"))
      if writeIds {
        let result = try index.search(queries: queries, k: 100, threads: threads)
        try NPY.write(integers: result.ids, shape: [result.queryCount, result.k], to: dataPath("\(name)_top100.npy"))
      }
      for t in [1, 2] where selected("search/\(name)/t\(t)") {
        setEngineThreadCount(t)
        var rates: [Double] = []
        _ = try index.search(queries: queries, k: 100, threads: t) // warm-up
        for _ in 0..<runs {
          let t0 = Stopwatch.now()
          _ = try index.search(queries: queries, k: 100, threads: t)
          rates.append(Double(queries.shape[0]) / (Stopwatch.now() - t0))
        }
        report.add(
          BenchMeasurement(
            workload: "search/\(name)/t\(t)", unit: "queries/s", higherIsBetter: true, values: rates,
            info: [
              "queries": queries.shape[0], "database": index.count, "code_bytes": index.blockCount,
              "k": 100, "threads": t, "metric": index.metric.rawValue,
              "layout": index.layout.isAdditive
                ? "additive" : (index.layout.rotation == nil ? "product" : "product+rotation"),
            ]))
      }
      setEngineThreadCount(threads)
    }
    return report
  }
}
