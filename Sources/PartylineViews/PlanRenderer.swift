import Foundation
public import OrderedJSON
public import PartylineCore
public import YAMLReader
import WireTime

/// Renders a plan: text, JSON, GitHub annotations and a Markdown PR comment, all from one model.
public struct PlanRenderer {
  /// The colours of the text form (off unless set).
  public var style = Style(enabled: false)

  /// A renderer; `style` colours the text form.
  public init(style: Style = Style(enabled: false)) { self.style = style }

  /// The first eight characters of an id, as the text and Markdown forms show a conversation.
  public static func short(_ id: String) -> String { String(id.prefix(8)) }

  /// `file:line:column` of a change's directive, or a note that its policy is no longer in the set.
  public static func place(_ r: SourceRange?) -> String {
    guard let r else { return "(no longer in the policy set)" }
    return "\(r.file):\(r.start.line):\(r.start.column)"
  }

  /// `add grace@example.com as agent`, `mute Customer for 30m (reason)` …
  public static func phrase(_ c: PlannedChange) -> String {
    switch c.effect {
    case .add(_, let role): return "add \(c.subject) as \(role)"
    case .mute(_, let duration, let reason, _):
      return "mute \(c.subject) for \(duration.description)" + (reason.map { " (\($0))" } ?? "")
    case .unmute: return "unmute \(c.subject)"
    case .revert: return "revert mute of \(c.subject)"
    case .prune: return "prune mute of \(c.subject)"
    case .noop: return "\(c.subject): \(c.explanation)"
    case .pauseRecording(let duration, let reason, _):
      return "pause recording for \(duration.description)" + (reason.map { " (\($0))" } ?? "")
    case .resumeRecording(_, let pruned):
      return pruned ? "resume recording (policy gone)" : "resume recording"
    }
  }

  /// `Plan: 1 to add, 2 to mute, 0 to unmute, 1 to revert. 3 unchanged.` (with the next lease end, and
  /// prunes and blocked changes when there are any), or `No changes.` and the counts.
  public static func summaryLine(_ plan: Plan) -> String {
    let s = plan.summary
    if !plan.hasChanges {
      // Blocked items are counted in every summary: "No changes." alone would hide them.
      let blocked = s.blocked > 0 ? " \(s.blocked) blocked." : ""
      return "No changes.\(blocked) \(s.unchanged) unchanged."
    }
    var parts = ["\(s.add) to add", "\(s.mute) to mute", "\(s.unmute) to unmute"]
    if s.pause > 0 { parts.append("\(s.pause) to pause") }
    var revert = "\(s.revert) to revert"
    if let next = plan.nextLeaseEnd { revert += " (next at \(Timestamp.clock(next)))" }
    parts.append(revert)
    if s.prune > 0 { parts.append("\(s.prune) to prune") }
    if s.blocked > 0 { parts.append("\(s.blocked) blocked") }
    return "Plan: \(parts.joined(separator: ", ")). \(s.unchanged) unchanged."
  }

  /// The text form: a line per change or blocked change (symbol, phrase, conversation, policy and
  /// source), then the summary line.
  public func text(_ plan: Plan) -> String {
    var out = ""
    for c in plan.changes where c.isChange || c.blocked != nil {
      let symbol = c.blocked != nil ? "!" : c.action.symbol
      let colored: String
      switch symbol {
      case "+": colored = style.green(symbol)
      case "~": colored = style.yellow(symbol)
      case "-", "!": colored = style.red(symbol)
      default: colored = symbol
      }
      var line = "  \(colored) \(Self.phrase(c)) in conversation \(Self.short(c.conversation.rawValue))"
      line += "  \(style.dim("\(c.policy) \(Self.place(c.location))"))"
      if let b = c.blocked { line += "\n      blocked: \(b)" }
      out += line + "\n"
    }
    if !out.isEmpty { out += "\n" }
    out += style.bold(Self.summaryLine(plan)) + "\n"
    return out
  }

  /// A change's source as JSON: `file`, `line` and `column`, or null.
  public static func location(_ r: SourceRange?) -> JSONValue {
    guard let r else { return .null }
    return ["file": .string(r.file), "line": .int(r.start.line), "column": .int(r.start.column)]
  }

  /// One change as JSON: its action, symbol, conversation, participant, subject, policy, location,
  /// before and after, reason, and the optional role, duration, mute reason, acting user and block.
  public static func changeJSON(_ c: PlannedChange) -> JSONValue {
    var pairs: [(String, JSONValue)] = [
      ("action", .string(c.action.rawValue)),
      ("symbol", .string(c.blocked != nil ? "!" : c.action.symbol)),
      ("conversation", .string(c.conversation.rawValue)),
      ("participant", .optional(c.participant)),
      ("subject", .string(c.subject)),
      ("policy", .string(c.policy)),
      ("location", location(c.location)),
      ("before", .string(c.before)),
      ("after", .string(c.after)),
      ("reason", .string(c.explanation)),
    ]
    switch c.effect {
    case .add(_, let role): pairs.append(("role", .string(role)))
    case .mute(_, let duration, let reason, _):
      pairs.append(("for", .string(duration.description)))
      if let reason { pairs.append(("muteReason", .string(reason))) }
    case .pauseRecording(let duration, let reason, _):
      pairs.append(("for", .string(duration.description)))
      if let reason { pairs.append(("pauseReason", .string(reason))) }
    case .unmute, .revert, .prune, .noop, .resumeRecording: break
    }
    if let a = c.actingUser { pairs.append(("actingUser", .string(a))) }
    if let b = c.blocked { pairs.append(("blocked", .string(b))) }
    return .object(pairs)
  }

  /// The plan's JSON form (format version 1): when it was made and, if given, the instant after which
  /// it may not be applied, the policy set's digest, the summary, changes, findings and snapshots.
  public static func json(_ plan: Plan, notAfter: Double?) -> JSONValue {
    let s = plan.summary
    var pairs: [(String, JSONValue)] = [
      ("formatVersion", 1),
      ("createdAt", .string(Timestamp.iso8601(plan.createdAt))),
    ]
    if let notAfter { pairs.append(("notAfter", .string(Timestamp.iso8601(notAfter)))) }
    pairs += [
      ("policySetDigest", .string(plan.policySetDigest)),
      (
        "summary",
        [
          "add": .int(s.add), "mute": .int(s.mute), "unmute": .int(s.unmute), "pause": .int(s.pause),
          "revert": .int(s.revert),
          "prune": .int(s.prune), "blocked": .int(s.blocked), "unchanged": .int(s.unchanged),
          "nextLeaseEnd": plan.nextLeaseEnd.map { .string(Timestamp.iso8601($0)) } ?? .null,
        ]
      ),
      ("changes", .array(plan.changes.map(changeJSON))),
      ("findings", .array(plan.findings.map { DiagnosticRenderer.json($0) })),
      ("snapshots", .object(plan.snapshots.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
    ]
    return .object(pairs)
  }

  /// GitHub workflow annotations: a notice per change (a warning per blocked one), the findings, and
  /// the summary line.
  public static func github(_ plan: Plan) -> String {
    var out = ""
    // A blocked change whose reason a finding already reports is annotated once, by the finding.
    let reported = plan.findings.map(\.message)
    for c in plan.changes where c.isChange || c.blocked != nil {
      if let b = c.blocked, reported.contains(where: { $0.contains(b) }) { continue }
      let kind = c.blocked != nil ? "warning" : "notice"
      var props: [String] = []
      if let r = c.location {
        props = [
          "file=\(DiagnosticRenderer.property(r.file))", "line=\(r.start.line)", "col=\(r.start.column)",
        ]
      }
      props.append("title=\(DiagnosticRenderer.property("partyline plan: \(c.policy)"))")
      var message =
        "\(c.blocked != nil ? "!" : c.action.symbol) \(phrase(c)) in conversation \(c.conversation)"
      if let b = c.blocked { message += " — blocked: \(b)" }
      out += "::\(kind) \(props.joined(separator: ","))::\(DiagnosticRenderer.data(message))\n"
    }
    for d in plan.findings { out += DiagnosticRenderer.github(d) + "\n" }
    out += "::notice title=partyline plan::\(DiagnosticRenderer.data(summaryLine(plan)))\n"
    return out
  }

  /// The most characters ``markdown(_:)`` returns, under GitHub's comment limit of 65,536.
  public static let markdownLimit = 65_000

  /// A compact PR-comment body, kept under 65,000 characters (GitHub's comment limit is 65,536).
  public static func markdown(_ plan: Plan) -> String {
    // Everything from the plan is text, never Markdown: caller names come from the phone network.
    func cell(_ s: String) -> String { MarkdownText.escape(s) }
    var head = "### Partyline plan\n\n**\(summaryLine(plan))**\n\n"
    let errors = plan.findings.filter { $0.severity == .error }
    if !errors.isEmpty {
      head +=
        "> [!CAUTION]\n> \(errors.count) limit \(errors.count == 1 ? "violation" : "violations"): apply will refuse this plan.\n\n"
    }
    var rows: [String] = []
    for c in plan.changes where c.isChange || c.blocked != nil {
      let symbol = c.blocked != nil ? "!" : c.action.symbol
      var what = cell(phrase(c))
      if let b = c.blocked { what += " — blocked: \(cell(b))" }
      rows.append(
        "| `\(symbol)` | \(what) | \(MarkdownText.code(short(c.conversation.rawValue))) | \(cell(c.policy)) | \(MarkdownText.code(place(c.location))) |"
      )
    }
    var findingRows: [String] = []
    for d in plan.findings {
      findingRows.append(
        "- **\(d.severity.rawValue)** \(MarkdownText.code(d.id)) \(cell(d.message)) (\(MarkdownText.code("\(d.range.file):\(d.range.start.line)")))"
      )
    }
    let tableHead = "| | Change | Conversation | Policy | Source |\n|---|---|---|---|---|\n"
    let footer =
      "\n<sub>policy set \(String(plan.policySetDigest.prefix(12))) · planned \(Timestamp.iso8601(plan.createdAt))</sub>\n"
    var body = head
    if !rows.isEmpty { body += tableHead }
    var shownRows = 0
    let budget = markdownLimit - footer.count - 400
    for r in rows {
      if body.utf16.count + r.utf16.count + 1 > budget { break }
      body += r + "\n"
      shownRows += 1
    }
    var shownFindings = 0
    if !findingRows.isEmpty && shownRows == rows.count {
      body += "\n#### Findings\n\n"
      for f in findingRows {
        if body.utf16.count + f.utf16.count + 1 > budget { break }
        body += f + "\n"
        shownFindings += 1
      }
    }
    let hidden = (rows.count - shownRows) + (findingRows.count - shownFindings)
    if hidden > 0 {
      body +=
        "\n_… \(hidden) more lines not shown to stay under GitHub's comment limit; run `partyline plan` for the full plan._\n"
    }
    return body + footer
  }
}
