import ArgumentParser
import DPQData
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// `dpq bench scale`: how encoding, memory, building, saving, loading and search grow with the
/// database, from 100,000 to 10 million synthetic items (and the FM database when `dpq bench
/// prepare` has written it), beside faiss on the same codes in the same run.
///
/// The index is the 32-bit reference configuration: residual quantization (the additive layout
/// DPQ shares), M = 4 codebooks of K = 256 in D = 300 (the FM model's feature dimension),
/// squared L2, top-100. Features are made chunk by chunk, encoded and dropped, so the process
/// never holds a float copy of the database; codes beyond `--encode-limit` items are drawn at
/// random instead (labelled so), for runs that cannot afford to encode them all.
extension BenchCommand {
  static let scaleDimension = 300
  static let scaleChunk = 65_536

  func benchScale() throws {
    var report = BenchReport(suite: "scale")
    let sizes = try parsedSizes()
    let loadAtStart = BenchCommand.loadAverage()
    let synthetic = try SyntheticFeatures(dimension: BenchCommand.scaleDimension)
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)

    // One quantizer for every size: trained once on 20,000 synthetic rows (not part of the curves).
    let t0 = Stopwatch.now()
    var rq = try ResidualQuantizer(
      dimension: BenchCommand.scaleDimension, blockCount: 4, seed: BenchCommand.quantizerSeed)
    try rq.train(synthetic.rows(SyntheticFeatures.trainRowOffset, count: 20_000))
    benchLog(
      String(
        format: "scale: RQ (M = 4, K = 256, D = %d) trained on 20,000 synthetic rows in %.1f s",
        BenchCommand.scaleDimension, Stopwatch.now() - t0))
    let allQueries = synthetic.rows(SyntheticFeatures.queryRowOffset, count: queries)

    let (peer, problem) =
      python == "none"
      ? (nil, "--python none") : ScalePeer.find(explicit: python, root: FileManager.default.currentDirectoryPath)
    if let problem { report.notes.append("faiss not run: \(problem)") }

    var rows: [ScaleRow] = []
    for n in sizes {
      let source: ScaleSource = n <= encodeLimit ? .synthetic(synthetic) : .randomCodes
      rows.append(
        try measureScale(
          items: n, label: grouped(n), source: source, quantizer: rq,
          queries: allQueries, peer: peer, report: &report))
    }
    if let fm = try fmSource() {
      rows.append(
        try measureScale(
          items: fm.features.shape[0], label: "FM \(grouped(fm.features.shape[0]))",
          source: .features(fm.features), quantizer: fm.quantizer, queries: fm.queries,
          peer: peer, report: &report))
    } else {
      report.notes.append("FM database not measured: run `dpq bench prepare --data \(data)` first")
    }
    report.notes += ScaleRow.notes(rows: rows, encodeLimit: encodeLimit, threads: threads)
    report.notes.append(
      "load average at start \(loadAtStart), at the end \(BenchCommand.loadAverage()) on \(ProcessInfo.processInfo.activeProcessorCount) cores shared with other work; q/CPU-s (queries per CPU second of all dpq threads) moves less with the load than queries/s"
    )
    let table = ScaleRow.table(rows)
    if json {
      try report.emit(json: true)
    } else {
      print(table)
      for n in report.notes { print("note: \(n)") }
    }
    if let out {
      try ScaleRow.write(rows: rows, report: report, table: table, to: out)
      benchLog("scale: wrote \(out).json, \(out).md and \(out).svg")
    }
  }

  private func parsedSizes() throws -> [Int] {
    let parsed = sizes.split(separator: ",").map {
      Int($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: ""))
    }
    guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? 0) >= 1_000 && ($0 ?? 0) <= Int(Int32.max) }) else {
      throw ValidationError(
        "--sizes takes comma-separated item counts of at least 1000, e.g. 100000,1000000 (got '\(sizes)')")
    }
    return parsed.compactMap { $0 }.sorted()
  }

  /// The FM database of `dpq bench prepare` re-encoded with its RQ codebooks, if prepared.
  private func fmSource() throws -> (features: Tensor, queries: Tensor, quantizer: ResidualQuantizer)? {
    let names = ["rq_l2.safetensors", "database_features.npy", "query_features.npy"]
    guard names.allSatisfy({ FileManager.default.fileExists(atPath: dataPath($0)) }) else { return nil }
    let saved = try Index.load(from: dataPath("rq_l2.safetensors"))
    let books = saved.layout.codebooks
    let rq = try ResidualQuantizer(
      configuration: [
        "type": "rq", "dimension": "\(saved.dimension)", "blockCount": "\(saved.blockCount)",
        "codewordCount": "\(saved.codewordCount)",
      ],
      tensors: ["rq.codebooks": books])
    let q = try NPY.readTensor(dataPath("query_features.npy"))
    return (
      try NPY.readTensor(dataPath("database_features.npy")), try q.slice(axis: 0, range: 0..<min(queries, q.shape[0])),
      rq
    )
  }

  /// Queries per timed search at n items: all of `--queries` up to 1 million items, fewer beyond
  /// (at least 100), so that one run at 10 million takes seconds rather than a minute.
  private func queryCount(items n: Int, available: Int) -> Int {
    min(available, max(100, min(queries, 1_000_000_000 / max(n, 1))))
  }

  private func measureScale(
    items n: Int, label: String, source: ScaleSource, quantizer rq: ResidualQuantizer,
    queries allQueries: Tensor, peer: ScalePeer?, report: inout BenchReport
  ) throws -> ScaleRow {
    let key = "scale/\(label.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: " ", with: "-"))"
    benchLog("scale: \(label) items")
    ProcessMemory.releaseFreed()
    let residentBefore = ProcessMemory.residentBytes()

    // Encode chunk by chunk into an index that reserved its room once.
    var index = try Index(quantizer: rq, codes: Codes(count: 0, blockCount: 4, codewordCount: 256), metric: .squaredL2)
    index.reserveCapacity(items: n)
    var encodeSeconds = 0.0
    var addSeconds = 0.0
    var start = 0
    while start < n {
      let c = min(BenchCommand.scaleChunk, n - start)
      let codes: Codes
      switch source {
      case .synthetic(let features):
        let x = features.rows(start, count: c)
        let t = Stopwatch.now()
        codes = try rq.encode(x)
        encodeSeconds += Stopwatch.now() - t
      case .features(let all):
        let x = try all.slice(axis: 0, range: start..<(start + c))
        let t = Stopwatch.now()
        codes = try rq.encode(x)
        encodeSeconds += Stopwatch.now() - t
      case .randomCodes:
        codes = try BenchCommand.randomCodes(first: start, count: c)
      }
      let t = Stopwatch.now()
      try index.add(codes: codes)
      addSeconds += Stopwatch.now() - t
      start += c
    }
    var row = ScaleRow(label: label, items: n, encoded: source.encodes)
    if source.encodes {
      row.encodeRate = Double(n) / encodeSeconds
      report.add(
        BenchMeasurement(
          workload: "\(key)/encode", unit: "vectors/s", higherIsBetter: true, values: [row.encodeRate!],
          info: ["items": n, "chunk": BenchCommand.scaleChunk, "beam": 1]))
    }
    row.buildSeconds = addSeconds
    report.add(
      BenchMeasurement(
        workload: "\(key)/build", unit: "s", higherIsBetter: false, values: [addSeconds],
        info: ["items": n, "adds": (n + BenchCommand.scaleChunk - 1) / BenchCommand.scaleChunk]))
    let bytes = index.memoryBytes
    row.indexBytes = bytes.codes + bytes.norms + bytes.codebooks
    row.codeAndNormBytes = bytes.codes + bytes.norms
    if let before = residentBefore, let after = ProcessMemory.residentBytes() { row.residentGrowth = after - before }
    report.add(
      BenchMeasurement(
        workload: "\(key)/memory", unit: "bytes/item", higherIsBetter: false,
        values: [Double(row.indexBytes) / Double(n)],
        info: [
          "codes": bytes.codes, "norms": bytes.norms, "codebooks": bytes.codebooks,
          "resident_growth": row.residentGrowth ?? -1,
        ]))

    // Search: the same queries on both sides, top-100, --threads workers.
    let nq = queryCount(items: n, available: allQueries.shape[0])
    let q = try allQueries.slice(axis: 0, range: 0..<nq)
    setEngineThreadCount(threads)
    let first = try index.search(queries: q, k: 100, threads: threads) // warm-up, and the ids faiss is compared with
    var rates: [Double] = []
    var cpuRates: [Double] = []
    for _ in 0..<runs {
      let t = Stopwatch.now()
      let cpu = ProcessMemory.cpuSeconds()
      _ = try index.search(queries: q, k: 100, threads: threads)
      rates.append(Double(nq) / (Stopwatch.now() - t))
      cpuRates.append(Double(nq) / (ProcessMemory.cpuSeconds() - cpu))
    }
    row.queries = nq
    row.searchRate = Stopwatch.median(rates.sorted())
    row.searchCPURate = Stopwatch.median(cpuRates.sorted())
    report.add(
      BenchMeasurement(
        workload: "\(key)/search-per-cpu-second", unit: "queries/CPU-s", higherIsBetter: true,
        values: cpuRates, info: ["items": n, "queries": nq, "k": 100, "threads": threads]))
    report.add(
      BenchMeasurement(
        workload: "\(key)/search", unit: "queries/s", higherIsBetter: true, values: rates,
        info: ["items": n, "queries": nq, "k": 100, "threads": threads, "code_bytes": 4, "metric": "squaredL2"]))

    // Save and load: the file faiss imports below.
    let file = dataPath("scale-\(n).safetensors")
    var t = Stopwatch.now()
    try index.save(to: file)
    row.saveSeconds = Stopwatch.now() - t
    t = Stopwatch.now()
    let loaded = try Index.load(from: file)
    row.loadSeconds = Stopwatch.now() - t
    // The same query batch on both sides: a query's lookup tables come from one sgemm over its
    // batch, and OpenBLAS's kernels for different batch sizes may round the last bit differently.
    let few = try q.slice(axis: 0, range: 0..<min(nq, 10))
    let check = try loaded.search(queries: few, k: 100, threads: threads)
    let expected = try index.search(queries: few, k: 100, threads: threads)
    guard loaded.count == n, check.ids == expected.ids, check.scores == expected.scores else {
      throw ValidationError("scale: the index loaded from \(file) searches differently from the one saved")
    }
    report.add(
      BenchMeasurement(
        workload: "\(key)/save", unit: "s", higherIsBetter: false, values: [row.saveSeconds], info: ["items": n]))
    report.add(
      BenchMeasurement(
        workload: "\(key)/load", unit: "s", higherIsBetter: false, values: [row.loadSeconds], info: ["items": n]))

    if let peer {
      try measurePeer(peer, key: key, file: file, queries: q, dpqIds: first, source: source, row: &row, report: &report)
    }
    try? FileManager.default.removeItem(atPath: file)
    return row
  }

  private func measurePeer(
    _ peer: ScalePeer, key: String, file: String, queries q: Tensor, dpqIds: SearchResult,
    source: ScaleSource, row: inout ScaleRow, report: inout BenchReport
  ) throws {
    let queryFile = dataPath("scale-queries.npy")
    let idsFile = dataPath("scale-dpq-ids.npy")
    try NPY.write(q, to: queryFile)
    try NPY.write(integers: dpqIds.ids, shape: [dpqIds.queryCount, dpqIds.k], to: idsFile)
    var args = [
      "--index", file, "--queries", queryFile, "--k", "100", "--threads", "\(threads)", "--runs", "\(runs)",
      "--label", key, "--dpq-ids", idsFile,
    ]
    switch source {
    case .synthetic: args += ["--encode", "\(row.items)"]
    case .features: args += ["--features", dataPath("database_features.npy")]
    case .randomCodes: break
    }
    do {
      for r in try peer.measure(args) {
        guard let workload = r["workload"] as? String, let values = r["values"] as? [Double],
          let unit = r["unit"] as? String
        else { continue }
        report.add(
          BenchMeasurement(
            workload: workload, unit: unit, higherIsBetter: r["higher_is_better"] as? Bool ?? true,
            values: values, info: r["info"] as? [String: Any] ?? [:]))
        let v = Stopwatch.median(values.sorted())
        if workload.hasSuffix("/search/faiss") { row.peerSearchRate = v }
        if workload.hasSuffix("/encode/faiss") { row.peerEncodeRate = v }
        if workload.hasSuffix("/import/faiss") { row.peerImportSeconds = v }
        if workload.hasSuffix("/agreement/faiss") { row.agreement = v }
      }
    } catch {
      report.notes.append("\(key): faiss failed: \(error)")
    }
  }

  /// The 1, 5 and 15 minute load averages (Linux), or "n/a".
  static func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
  }

  /// Uniformly random 4-byte codes for items `first ..< first + count` (sizes beyond --encode-limit).
  static func randomCodes(first: Int, count: Int) throws -> Codes {
    var bytes = [UInt8](repeating: 0, count: count * 4)
    for i in 0..<count {
      let w = SyntheticFeatures.mix(0xC0DE &+ UInt64(first + i))
      for m in 0..<4 { bytes[i * 4 + m] = UInt8(truncatingIfNeeded: w >> (8 * m)) }
    }
    return try Codes(count: count, blockCount: 4, codewordCount: 256, littleEndianBytes: bytes)
  }
}

/// Where a scale run's codes come from.
enum ScaleSource {
  /// Synthetic features made chunk by chunk and encoded.
  case synthetic(SyntheticFeatures)
  /// Given features (the FM database), encoded chunk by chunk.
  case features(Tensor)
  /// Random codes, no encoding (sizes beyond --encode-limit).
  case randomCodes

  var encodes: Bool {
    if case .randomCodes = self { return false }
    return true
  }
}
