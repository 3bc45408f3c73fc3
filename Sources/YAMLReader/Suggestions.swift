/// "Did you mean" for misspelled keys and values: the one edit distance of the project.
public enum Suggestions {
  /// The candidate equal to `word` ignoring case, or else the nearest within a third of its length
  /// (at least 1, at most 3 edits); nil when none is near.
  public static func closest(to word: String, in candidates: [String]) -> String? {
    let lower = word.lowercased()
    if let exact = candidates.first(where: { $0.lowercased() == lower }) { return exact }
    var best: (String, Int)?
    for c in candidates {
      let d = distance(lower, c.lowercased())
      let limit = max(1, min(3, c.count / 3))
      if d <= limit, best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
  }

  /// `; did you mean 'x'?` for the closest candidate, or nothing.
  public static func hint(_ word: String, _ candidates: [String]) -> String {
    closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
  }

  /// Damerau–Levenshtein (optimal string alignment) distance over characters.
  public static func distance(_ a: String, _ b: String) -> Int {
    let x = Array(a)
    let y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { d[i][0] = i }
    for j in 0...y.count { d[0][j] = j }
    for i in 1...x.count {
      for j in 1...y.count {
        let cost = x[i - 1] == y[j - 1] ? 0 : 1
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
          d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        }
      }
    }
    return d[x.count][y.count]
  }
}
