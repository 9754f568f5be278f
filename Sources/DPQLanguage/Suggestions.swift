/// "Did you mean ...?" suggestions by edit distance.
enum Suggestions {
  /// The closest candidate within a distance that scales with the name's length, if any.
  static func closest(to name: String, among candidates: some Sequence<String>) -> String? {
    // one- and two-letter names are too short for a guess to mean anything
    guard name.count >= 3 else { return nil }
    let limit = Swift.max(1, name.count / 3)
    var best: (String, Int)? = nil
    for c in candidates where c != name {
      let d = distance(name, c, limit: limit)
      if d <= limit, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
    }
    return best?.0
  }

  /// `" (did you mean 'x'?)"` or an empty string.
  static func hint(for name: String, among candidates: some Sequence<String>) -> String {
    closest(to: name, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
  }

  /// Edit distance counting insertions, deletions, substitutions and swaps of neighbours
  /// (optimal string alignment), case-insensitive; anything above `limit` is reported as limit + 1.
  static func distance(_ a: String, _ b: String, limit: Int) -> Int {
    let x = Array(a.lowercased().unicodeScalars)
    let y = Array(b.lowercased().unicodeScalars)
    if abs(x.count - y.count) > limit { return limit + 1 }
    if x.isEmpty || y.isEmpty { return Swift.max(x.count, y.count) }
    var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { d[i][0] = i }
    for j in 0...y.count { d[0][j] = j }
    for i in 1...x.count {
      for j in 1...y.count {
        d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
          d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
        }
      }
    }
    return Swift.min(d[x.count][y.count], limit + 1)
  }
}
