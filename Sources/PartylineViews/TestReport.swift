import Foundation
public import OrderedJSON
public import PartylineCore
import YAMLReader

/// How `partyline test` shows its results: text (a line per test, the expected and actual plan of a
/// failure, the summary), JSON (`formatVersion` 1) or JUnit XML for CI test reports.
public enum TestReport {
  /// Passed, failed and error counts.
  static func counts(_ results: [PolicyTestResult]) -> (pass: Int, fail: Int, error: Int) {
    (
      results.filter { $0.status == .pass }.count, results.filter { $0.status == .fail }.count,
      results.filter { $0.status == .error }.count
    )
  }

  static func place(_ r: SourceRange) -> String { "\(r.file):\(r.start.line):\(r.start.column)" }

  /// The results as text: each test's verdict, what differs, and the summary line.
  public static func text(_ results: [PolicyTestResult], style: Style = Style(enabled: false)) -> String {
    var out = ""
    for r in results {
      let seconds = String(format: "%.2f s", r.seconds)
      switch r.status {
      case .pass: out += "\(style.green("PASS")) \(r.name) (\(place(r.location)), \(seconds))\n"
      case .fail:
        out += "\(style.red("FAIL")) \(r.name) (\(place(r.location)), \(seconds))\n"
        if r.expected != r.actual {
          out += "  changes: expected (-) and planned (+)\n"
          out += diff(r.expected, r.actual)
        }
        if let want = r.expectedFindings, want != r.actualFindings {
          out += "  findings: expected (-) and found (+)\n"
          out += diff(want, r.actualFindings)
        }
      case .error:
        out += "\(style.red("ERROR")) \(r.name) (\(place(r.location)))\n"
        for e in r.errors { out += "  \(place(e.range)): \(e.message) [\(e.id)]\n" }
      }
    }
    let c = counts(results)
    out += "\(c.pass) passed, \(c.fail) failed, \(c.error) \(c.error == 1 ? "error" : "errors")\n"
    return out
  }

  /// A line diff: lines only expected with `-`, only planned with `+`, common ones with a space, in
  /// the order of the longest common subsequence.
  static func diff(_ a: [String], _ b: [String]) -> String {
    var lcs = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
      for j in stride(from: b.count - 1, through: 0, by: -1) {
        lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
      }
    }
    var out = ""
    var (i, j) = (0, 0)
    while i < a.count || j < b.count {
      if i < a.count, j < b.count, a[i] == b[j] {
        out += "      \(a[i])\n"
        i += 1
        j += 1
      } else if i < a.count, j == b.count || lcs[i + 1][j] >= lcs[i][j + 1] {
        out += "    - \(a[i])\n"
        i += 1
      } else {
        out += "    + \(b[j])\n"
        j += 1
      }
    }
    if a.isEmpty && b.isEmpty { out += "      (none)\n" }
    return out
  }

  /// The results as JSON.
  public static func json(_ results: [PolicyTestResult]) -> JSONValue {
    let c = counts(results)
    return .object([
      ("formatVersion", 1),
      ("summary", .object([("passed", .int(c.pass)), ("failed", .int(c.fail)), ("errors", .int(c.error))])),
      (
        "tests",
        .array(
          results.map { r in
            var pairs: [(String, JSONValue)] = [
              ("name", .string(r.name)), ("location", .string(place(r.location))),
              ("status", .string(r.status.rawValue)), ("seconds", .double(r.seconds)),
            ]
            if r.status != .error {
              pairs.append(("expected", .array(r.expected.map(JSONValue.string))))
              pairs.append(("planned", .array(r.actual.map(JSONValue.string))))
              if let f = r.expectedFindings {
                pairs.append(("expectedFindings", .array(f.map(JSONValue.string))))
                pairs.append(("findings", .array(r.actualFindings.map(JSONValue.string))))
              }
            }
            if !r.errors.isEmpty {
              pairs.append(("errors", .array(r.errors.map { DiagnosticRenderer.json($0) })))
            }
            return .object(pairs)
          })
      ),
    ])
  }

  /// The results as JUnit XML (one suite, a test case per test; a failure carries the diff).
  public static func junit(_ results: [PolicyTestResult]) -> String {
    let c = counts(results)
    let total = results.reduce(0) { $0 + $1.seconds }
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out +=
      "<testsuites tests=\"\(results.count)\" failures=\"\(c.fail)\" errors=\"\(c.error)\" time=\"\(String(format: "%.3f", total))\">\n"
    out +=
      "  <testsuite name=\"partyline\" tests=\"\(results.count)\" failures=\"\(c.fail)\" errors=\"\(c.error)\" time=\"\(String(format: "%.3f", total))\">\n"
    for r in results {
      out +=
        "    <testcase name=\"\(xml(r.name))\" classname=\"\(xml(r.location.file))\" time=\"\(String(format: "%.3f", r.seconds))\""
      switch r.status {
      case .pass: out += "/>\n"
      case .fail:
        var body = ""
        if r.expected != r.actual {
          body += "changes: expected (-) and planned (+)\n" + diff(r.expected, r.actual)
        }
        if let want = r.expectedFindings, want != r.actualFindings {
          body += "findings: expected (-) and found (+)\n" + diff(want, r.actualFindings)
        }
        out +=
          ">\n      <failure message=\"the plan is not the one expected\">\(xml(body))</failure>\n    </testcase>\n"
      case .error:
        let body = r.errors.map { "\(place($0.range)): \($0.message) [\($0.id)]" }.joined(separator: "\n")
        out += ">\n      <error message=\"the test could not run\">\(xml(body))</error>\n    </testcase>\n"
      }
    }
    out += "  </testsuite>\n</testsuites>\n"
    return out
  }

  /// Text safe inside XML (attributes and content); control characters are dropped.
  static func xml(_ s: String) -> String {
    var out = ""
    for ch in s.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      case "\n", "\t": out.unicodeScalars.append(ch)
      default: if ch.value >= 0x20 && ch.value != 0x7F { out.unicodeScalars.append(ch) }
      }
    }
    return out
  }
}
