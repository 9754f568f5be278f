import DPQTensor

extension Figure {
  /// Queries and their top retrieved images, one row per query: the query on the left, then the
  /// results in rank order framed green when relevant and red when not, and the count of
  /// relevant results at the right. `queries` is [q, C, H, W] and `database` [n, C, H, W] with C
  /// 1 (gray) or 3 (RGB) and values in [0, 1]; `ranking[i]` lists database indices for query i
  /// and `relevant[i][j]` marks `ranking[i][j]`. Images with values outside [0, 1] (normalised
  /// inputs, as a model sees them) are mapped to [0, 1] together, by the joint minimum and
  /// maximum of the images shown, so their relative brightness is kept.
  public static func retrievalGrid(
    queries: Tensor, database: Tensor, ranking: [[Int]], relevant: [[Bool]],
    title: String = "Queries and their top retrieved images"
  ) throws -> Figure {
    let function = "retrievalGrid"
    guard queries.rank == 4, database.rank == 4, Array(queries.shape.dropFirst()) == Array(database.shape.dropFirst())
    else {
      throw PlotError.invalidArgument(
        function: function,
        reason:
          "queries and database must be [count, C, H, W] with the same C, H, W; got \(queries.shape) and \(database.shape)"
      )
    }
    let (c, h, w) = (queries.shape[1], queries.shape[2], queries.shape[3])
    guard c == 1 || c == 3, h > 0, w > 0 else {
      throw PlotError.invalidArgument(
        function: function, reason: "images need 1 or 3 channels and a positive size, got [\(c), \(h), \(w)]")
    }
    let q = queries.shape[0]
    let n = database.shape[0]
    guard q >= 1, q <= 20, ranking.count == q, relevant.count == q else {
      throw PlotError.invalidArgument(
        function: function,
        reason:
          "need 1...20 queries with one ranking and one relevance list each; got \(q) queries, \(ranking.count) rankings, \(relevant.count) relevance lists"
      )
    }
    for i in 0..<q {
      guard !ranking[i].isEmpty, ranking[i].count <= 30, relevant[i].count == ranking[i].count else {
        throw PlotError.invalidArgument(
          function: function,
          reason: "query \(i): \(ranking[i].count) results (1...30 allowed) and \(relevant[i].count) relevance marks")
      }
      if let bad = ranking[i].first(where: { $0 < 0 || $0 >= n }) {
        throw PlotError.invalidArgument(
          function: function, reason: "query \(i): index \(bad) is outside the database (0..<\(n))")
      }
    }

    let k = ranking.map(\.count).max() ?? 1
    let gap = Double(max(2, w / 4))
    let queryGap = Double(max(4, w / 2))
    let rowGap = Double(max(4, h / 3))
    let header = Double(max(6, h / 3))
    let W = Double(w)
    let H = Double(h)
    func left(column: Int) -> Double { column == 0 ? 0 : W + queryGap + Double(column - 1) * (W + gap) }
    func top(row: Int) -> Double { -Double(row) * (H + rowGap) }
    let resultsRight = left(column: k) + W
    let countColumn = resultsRight + gap + 0.8 * W

    var shown = try (0..<q).map { try image(queries, index: $0) }
    var results = try ranking.map { try $0.map { try image(database, index: $0) } }
    let all = shown + results.joined()
    let lo = all.lazy.compactMap { $0.pixels.min() }.min() ?? 0
    let hi = all.lazy.compactMap { $0.pixels.max() }.max() ?? 1
    if lo < 0 || hi > 1, hi > lo {
      shown = try shown.map { try $0.rescaled(from: lo, to: hi) }
      results = try results.map { try $0.map { try $0.rescaled(from: lo, to: hi) } }
    }

    var series: [Series] = []
    var rectangles: [Rectangle] = []
    var labels: [TextLabel] = [TextLabel("query", x: W / 2, y: header / 2)]
    for j in 1...k { labels.append(TextLabel("\(j)", x: left(column: j) + W / 2, y: header / 2)) }
    let frame = 0.06 * W
    for i in 0..<q {
      let t = top(row: i)
      func place(_ image: Image, column: Int) {
        // Pixel centres sit at integer offsets; the image covers [left, left + W] x [top - H, top].
        series.append(.image(image, left: left(column: column) + 0.5, bottom: t - H + 0.5))
      }
      place(shown[i], column: 0)
      rectangles.append(
        Rectangle(x0: -frame, y0: t - H - frame, x1: W + frame, y1: t + frame, color: .black, lineWidth: 2))
      for j in ranking[i].indices {
        place(results[i][j], column: j + 1)
        let l = left(column: j + 1)
        rectangles.append(
          Rectangle(
            x0: l - frame, y0: t - H - frame, x1: l + W + frame, y1: t + frame,
            color: relevant[i][j] ? .relevant : .irrelevant, lineWidth: 3))
      }
      let hits = relevant[i].filter { $0 }.count
      labels.append(TextLabel("\(hits)/\(ranking[i].count)", x: countColumn, y: t - H / 2))
    }
    labels.append(TextLabel("relevant", x: countColumn, y: header / 2))

    let bottom = top(row: q - 1) - H - frame - 1
    let panel = Panel(
      x: Axis(minimum: -frame - 1, maximum: countColumn + 0.8 * W),
      y: Axis(minimum: bottom, maximum: header + 1),
      series: series, legend: .hidden, grid: false, showsAxes: false, equalAspect: true,
      rectangles: rectangles, labels: labels)
    // About three screen pixels per image pixel, within sensible figure sizes.
    let unitsX = countColumn + 0.8 * W + frame + 1
    let unitsY = header + 1 - bottom
    let scale = min(3.5, 1800 / unitsX, 1400 / unitsY)
    return Figure(
      title: title, panels: [panel], width: max(400, Int(unitsX * scale) + 40),
      height: max(200, Int(unitsY * scale) + 70))
  }

  /// Image `index` of a [count, C, H, W] tensor, channels interleaved per pixel.
  static func image(_ images: Tensor, index: Int) throws -> Image {
    let (c, h, w) = (images.shape[1], images.shape[2], images.shape[3])
    let plane = h * w
    var pixels = [Float](repeating: 0, count: c * plane)
    images.withUnsafeBufferPointer { p in
      let base = index * c * plane
      for ch in 0..<c { for i in 0..<plane { pixels[i * c + ch] = p[base + ch * plane + i] } }
    }
    return try Image(width: w, height: h, channels: c, pixels: pixels)
  }
}

extension Image {
  /// The image with values mapped linearly from [lo, hi] to [0, 1].
  func rescaled(from lo: Float, to hi: Float) throws -> Image {
    let span = hi - lo
    return try Image(width: width, height: height, channels: channels, pixels: pixels.map { ($0 - lo) / span })
  }
}
