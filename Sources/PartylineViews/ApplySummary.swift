public import PartylineCore
import YAMLReader

/// The one-line account of an apply, and why a plan was refused.
public enum ApplySummary {
  /// `Apply complete: 1 added, 2 muted, 0 unmuted, 1 reverted.` and what went wrong, or the dry run's
  /// count of calls.
  public static func line(_ report: ApplyReport, dryRun: Bool) -> String {
    if dryRun { return "Dry run: \(report.count(.dryRun)) calls would be made; nothing was changed." }
    var done: [PlannedChange.Action: Int] = [:]
    for i in report.items where i.result == .confirmed { done[i.change.action, default: 0] += 1 }
    var s =
      "Apply complete: \(done[.add] ?? 0) added, \(done[.mute] ?? 0) muted, \(done[.unmute] ?? 0) unmuted, "
      + (done[.pause].map { "\($0) recordings paused, " } ?? "")
      + "\((done[.revert] ?? 0) + (done[.prune] ?? 0)) reverted."
    let problems = [
      (report.count(.failed), "failed"), (report.count(.unconfirmed), "unconfirmed"),
      (report.count(.unknown), "with unknown outcome"), (report.count(.blocked), "blocked"),
      (report.count(.waiting), "waiting (held back until the rate budget can promise their reverts)"),
      (
        report.lockFailures.count,
        report.lockFailures.count == 1 ? "conversation not locked" : "conversations not locked"
      ),
    ].filter { $0.0 > 0 }
    if !problems.isEmpty { s += " " + problems.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "." }
    return s
  }

  /// Why a plan with errors is not applied: the limits it breaks, or its errors' ids.
  public static func whyRefused(_ plan: Plan) -> String {
    let limits: Set<String> = Set(
      [DiagnosticID.capacityExceeded, .roleMaxExceeded, .muteUnmuteConflict, .conflictingMute].map(\.rawValue)
    )
    let errors = plan.findings.filter { $0.severity == .error }
    var ids: [String] = []
    for e in errors where !ids.contains(e.id) { ids.append(e.id) }
    if ids.allSatisfy(limits.contains) {
      return
        "the plan breaks \(errors.count == 1 ? "a limit" : "\(errors.count) limits") (\(ids.joined(separator: ", ")))"
    }
    return
      "the plan has \(errors.count) \(errors.count == 1 ? "error" : "errors") (\(ids.joined(separator: ", ")))"
  }
}
