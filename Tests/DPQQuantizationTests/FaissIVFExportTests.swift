import DPQData
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation
import Testing

/// `scripts/export-faiss --ivf NLIST`: dpq's codebooks and codes as the fine codes of a faiss IVF
/// index (no residual to the coarse centroid), searched by faiss and compared with dpq's own
/// exhaustive search of the same index. Speed is printed, never asserted.
@Suite struct FaissIVFExportTests {
  static let lists = 64
  /// The stated operating point: 8 of the 64 lists (1/8 of the database) per query.
  static let nprobe = 8

  @Test(arguments: [IndexMetric.squaredL2, .innerProduct])
  func ivfRecallAtTheStatedProbeCount(metric: IndexMetric) throws {
    let py = try ProjectPython.require(["faiss", "numpy"])
    let dir = NSTemporaryDirectory() + "dpq-ivf-export-\(metric.rawValue)-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }

    // Clustered data in D = 32 (64 centres), an RQ of 4 x 256 codewords (32-bit codes).
    var rng = RandomGenerator(seed: 41)
    let d = 32
    let n = 20_000
    let nq = 200
    let centres = try Tensor.randomNormal([64, d], using: &rng)
    func sample(_ count: Int) throws -> Tensor {
      let noise = try Tensor.randomNormal([count, d], std: 0.35, using: &rng)
      let pick = (0..<count).map { _ in Int(rng.next() % 64) }
      return try centres.indexSelect(axis: 0, indices: pick) + noise
    }
    let train = try sample(5_000)
    let database = try sample(n)
    let queries = try sample(nq)
    var rq = try ResidualQuantizer(dimension: d, blockCount: 4, seed: 5)
    try rq.train(train)
    let index = try Index(quantizer: rq, codes: rq.encode(database), metric: metric)
    let indexFile = dir + "/index.safetensors"
    let faissFile = dir + "/ivf.faiss"
    try index.save(to: indexFile)
    let exact = try index.search(queries: queries, k: 100)
    try NPY.write(queries, to: dir + "/queries.npy")
    try NPY.write(integers: exact.ids, shape: [nq, 100], to: dir + "/dpq_ids.npy")

    let export = ProjectPython.root.appendingPathComponent("scripts/export-faiss").path
    let exported = ProjectPython.runWith(
      environment: ["PYTHON": py], export,
      ["--ivf", "\(FaissIVFExportTests.lists)", indexFile, faissFile])
    try #require(exported.status == 0, "export-faiss --ivf failed: \(exported.output)")
    #expect(exported.output.contains("IndexIVFResidualQuantizer"))

    let out = try ProjectPython.script(
      py,
      """
      import sys, time, json
      import numpy as np, faiss
      index = faiss.read_index(sys.argv[1])
      q = np.load(sys.argv[2]).astype(np.float32)
      want = np.load(sys.argv[3])
      faiss.omp_set_num_threads(2)
      ivf = faiss.extract_index_ivf(index)
      rows = []
      for nprobe in [1, 2, 4, 8, 16, 64]:
          ivf.nprobe = nprobe
          index.search(q, 100)
          t0 = time.perf_counter()
          _, ids = index.search(q, 100)
          rate = q.shape[0] / (time.perf_counter() - t0)
          recall = float(np.mean([len(np.intersect1d(ids[i], want[i])) / 100 for i in range(q.shape[0])]))
          rows.append({"nprobe": nprobe, "recall": recall, "qps": rate})
      print(json.dumps({"type": type(index).__name__, "by_residual": bool(ivf.by_residual), "nlist": ivf.nlist,
                        "ntotal": int(index.ntotal), "rows": rows}))
      """, [faissFile, dir + "/queries.npy", dir + "/dpq_ids.npy"])
    let line = try #require(out.split(separator: "\n").last)
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(doc["by_residual"] as? Bool == false)
    #expect(doc["nlist"] as? Int == FaissIVFExportTests.lists)
    #expect(doc["ntotal"] as? Int == n)
    let rows = try #require(doc["rows"] as? [[String: Any]])
    for r in rows {
      print(
        String(
          format:
            "export-faiss --ivf %d (%@): nprobe %2d, recall@100 against dpq's exhaustive search %.4f, %.0f queries/s (2 threads, %d items)",
          FaissIVFExportTests.lists, metric.rawValue, r["nprobe"] as? Int ?? 0, r["recall"] as? Double ?? 0,
          r["qps"] as? Double ?? 0, n))
    }
    let stated = try #require(rows.first { $0["nprobe"] as? Int == FaissIVFExportTests.nprobe })
    #expect((stated["recall"] as? Double ?? 0) >= 0.95, "recall@100 at nprobe \(FaissIVFExportTests.nprobe): \(stated)")
    // Every list probed: the candidates are the whole database, so the lists hold dpq's codes as they are.
    let all = try #require(rows.first { $0["nprobe"] as? Int == FaissIVFExportTests.lists })
    #expect((all["recall"] as? Double ?? 0) >= 0.999, "recall@100 with every list probed: \(all)")
  }
}
