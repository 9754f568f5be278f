import DPQPlot
import DPQTensor
import Foundation

/// One database size of `dpq bench scale`: what dpq and faiss measured, and the per-item costs
/// that show whether anything grows faster than the database.
struct ScaleRow {
  let label: String
  let items: Int
  /// Whether the codes were encoded from features (false: random codes, nothing to time).
  let encoded: Bool
  var encodeRate: Double?
  var peerEncodeRate: Double?
  var buildSeconds = 0.0
  /// Codes + norms + codebooks (and rotation) held by the index.
  var indexBytes = 0
  var codeAndNormBytes = 0
  /// Growth of the resident set while the index was built (nil where unavailable).
  var residentGrowth: Int?
  var queries = 0
  var searchRate = 0.0
  /// Queries per CPU second of the process (all threads): steadier than `searchRate` under load.
  var searchCPURate = 0.0
  var peerSearchRate: Double?
  var saveSeconds = 0.0
  var loadSeconds = 0.0
  var peerImportSeconds: Double?
  var agreement: Double?

  init(label: String, items: Int, encoded: Bool) {
    self.label = label
    self.items = items
    self.encoded = encoded
  }

  /// Nanoseconds per item of a duration.
  func perItem(_ seconds: Double) -> Double { seconds / Double(items) * 1e9 }

  /// Nanoseconds per item and query of the search (the scan plus the top-100 selection).
  var scanNanoseconds: Double { 1e9 / (searchRate * Double(items)) }

  static let header = [
    "items", "encode/s dpq", "encode/s faiss", "index B/item", "RSS B/item", "build ns/item",
    "queries/s dpq", "queries/s faiss", "ratio", "q/CPU-s dpq", "search ns/item", "save ns/item", "load ns/item",
    "top-100 same",
  ]

  var cells: [String] {
    func rate(_ v: Double?) -> String { v.map { grouped(Int($0.rounded())) } ?? "n/a" }
    func ns(_ v: Double) -> String { String(format: v >= 10 ? "%.0f" : "%.2f", v) }
    return [
      label, encoded ? rate(encodeRate) : "random codes", encoded ? rate(peerEncodeRate) : "-",
      String(format: "%.2f", Double(indexBytes) / Double(items)),
      residentGrowth.map { String(format: "%.2f", Double($0) / Double(items)) } ?? "n/a",
      ns(perItem(buildSeconds)), String(format: "%.1f", searchRate),
      peerSearchRate.map { String(format: "%.1f", $0) } ?? "n/a",
      peerSearchRate.map { String(format: "%.2fx", searchRate / $0) } ?? "n/a", String(format: "%.1f", searchCPURate),
      String(format: "%.3f", scanNanoseconds), ns(perItem(saveSeconds)), ns(perItem(loadSeconds)),
      agreement.map { String(format: "%.4f", $0) } ?? "n/a",
    ]
  }

  static func table(_ rows: [ScaleRow]) -> String { tableText(header: header, rows: rows.map(\.cells)) }

  /// What the table's columns mean and how far each per-item cost moved across the sizes.
  static func notes(rows: [ScaleRow], encodeLimit: Int, threads: Int) -> [String] {
    var notes = [
      "index: residual quantization, M = 4 x K = 256 (32 bits), D = 300, squared L2, top-100, \(threads) threads on both sides; faiss searches the same codebooks and codes (IndexResidualQuantizer, ST_norm_float: 4 code bytes + a float norm per item)",
      "index B/item = (codes + per-item norms of every prefix length + codebooks) / items; RSS B/item = growth of the resident set while the index was built, over items (no float copy of the database is kept: features are made, encoded and dropped chunk by chunk)",
      "build = Index.add of 65,536-item chunks into a reserved index; search ns/item = 1 / (queries/s x items); save/load = Index.save / Index.load of the whole index file",
    ]
    if rows.contains(where: { !$0.encoded }) {
      notes.append(
        "sizes above --encode-limit \(grouped(encodeLimit)) hold random codes: their encode columns are not measured")
    }
    let synthetic = rows.filter { !$0.label.hasPrefix("FM") }
    if synthetic.count >= 2, let small = synthetic.first, let large = synthetic.last {
      func growth(_ f: (ScaleRow) -> Double) -> String { String(format: "%.2fx", f(large) / f(small)) }
      notes.append(
        "per-item cost at \(large.label) relative to \(small.label) (1.00x = linear in the database): "
          + "search \(growth { $0.scanNanoseconds }), build \(growth { $0.perItem($0.buildSeconds) }), "
          + "save \(growth { $0.perItem($0.saveSeconds) }), load \(growth { $0.perItem($0.loadSeconds) })"
          + (small.encoded && large.encoded ? ", encode \(growth { 1 / ($0.encodeRate ?? .nan) })" : ""))
    }
    return notes
  }

  /// Writes PREFIX.json (the report), PREFIX.md (the table and notes) and PREFIX.svg (the curves).
  static func write(rows: [ScaleRow], report: BenchReport, table: String, to prefix: String) throws {
    try Data(report.jsonText().utf8).write(to: URL(fileURLWithPath: prefix + ".json"), options: .atomic)
    let svg = (prefix as NSString).lastPathComponent + ".svg"
    let markdown =
      [
        "# dpq bench scale", "",
        "Written by `dpq bench scale --out \(prefix)` (OpenBLAS core \(BLAS.coreName), \(ProcessInfo.processInfo.activeProcessorCount) cores).",
        "",
        "![queries/s and encoding time against the database size](\(svg))", "",
        "```", table, "```", "",
      ] + report.notes.map { "- \($0)" } + [""]
    try Data(markdown.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: prefix + ".md"), options: .atomic)
    try Renderer().save(figure(rows.filter { !$0.label.hasPrefix("FM") }), to: prefix + ".svg")
  }

  /// Queries/s and encoding time against the database size, log-log, dpq beside faiss.
  static func figure(_ rows: [ScaleRow]) -> Figure {
    let x = rows.map { Double($0.items) }
    let log = Axis(label: "database items", logBase: 10)
    var searchSeries = [Series(title: "dpq", style: .linesPoints, x: x, y: rows.map(\.searchRate))]
    let peerSearch = rows.filter { $0.peerSearchRate != nil }
    if !peerSearch.isEmpty {
      searchSeries.append(
        Series(
          title: "faiss", style: .linesPoints, x: peerSearch.map { Double($0.items) },
          y: peerSearch.map { $0.peerSearchRate! }, dashType: 2, pointType: 5))
    }
    let encodedRows = rows.filter { $0.encodeRate != nil }
    var encodeSeries = [
      Series(
        title: "dpq encode", style: .linesPoints, x: encodedRows.map { Double($0.items) },
        y: encodedRows.map { Double($0.items) / $0.encodeRate! })
    ]
    let peerEncoded = rows.filter { $0.peerEncodeRate != nil }
    if !peerEncoded.isEmpty {
      encodeSeries.append(
        Series(
          title: "faiss encode", style: .linesPoints, x: peerEncoded.map { Double($0.items) },
          y: peerEncoded.map { Double($0.items) / $0.peerEncodeRate! }, dashType: 2, pointType: 5))
    }
    encodeSeries.append(
      Series(
        title: "dpq build + save + load", style: .linesPoints, x: x,
        y: rows.map { $0.buildSeconds + $0.saveSeconds + $0.loadSeconds }, dashType: 3, pointType: 9))
    return Figure(
      title: "dpq bench scale: 32-bit RQ codes, D = 300, top-100",
      panels: [
        Panel(
          title: "search (higher is better)", x: log, y: Axis(label: "queries/s", logBase: 10), series: searchSeries),
        Panel(
          title: "time to encode and index (lower is better)", x: log, y: Axis(label: "seconds", logBase: 10),
          series: encodeSeries, legend: .topLeft),
      ], columns: 2, width: 1100, height: 480)
  }
}

/// An integer with thousands separators: 10000000 -> "10,000,000".
func grouped(_ n: Int) -> String {
  let digits = String(n.magnitude)
  var out = ""
  for (i, ch) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(ch)
  }
  return (n < 0 ? "-" : "") + out
}
