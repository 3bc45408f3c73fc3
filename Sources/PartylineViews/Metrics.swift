import Foundation
public import PartylineCore

/// Counts for the Prometheus text file.
public final class Metrics: @unchecked Sendable {
  /// No counts yet.
  public init() {}

  private let lock = NSLock()
  private var outcomes: [String: Int] = [:]
  private var slow = 0

  /// Counts an outcome journalled.
  public func note(_ r: JournalRecord) {
    lock.withLock { outcomes["\(r.action.rawValue)|\(r.status?.rawValue ?? "unknown")", default: 0] += 1 }
  }

  /// Counts a call slower than `--latency-warn`.
  public func noteSlow() { lock.withLock { slow += 1 } }

  /// The Prometheus text: the counts, and the gauges of the last run (`plan`, `report`) and of `leases`.
  public func render(plan: Plan?, report: ApplyReport?, leases: [Lease], throttled: Int, now: Double)
    -> String
  {
    var out =
      "# HELP partyline_calls_total API calls made by apply, by action and outcome.\n# TYPE partyline_calls_total counter\n"
    for (key, n) in lock.withLock({ outcomes }).sorted(by: { $0.key < $1.key }) {
      let parts = key.split(separator: "|")
      out += "partyline_calls_total{action=\"\(parts[0])\",status=\"\(parts[1])\"} \(n)\n"
    }
    let failures =
      report.map { $0.count(.failed) + $0.count(.unconfirmed) + $0.count(.unknown) + $0.count(.blocked) } ?? 0
    out +=
      "# HELP partyline_apply_failures Changes planned but not done or not confirmed in the last run.\n# TYPE partyline_apply_failures gauge\npartyline_apply_failures \(failures)\n"
    out +=
      "# HELP partyline_mutes_waiting Mutes held back in the last run: the rate budget could not promise their reverts.\n# TYPE partyline_mutes_waiting gauge\npartyline_mutes_waiting \(report?.count(.waiting) ?? 0)\n"
    out +=
      "# HELP partyline_rate_limited_total Responses with status 429.\n# TYPE partyline_rate_limited_total counter\npartyline_rate_limited_total \(throttled)\n"
    out +=
      "# HELP partyline_slow_calls_total Calls slower than --latency-warn.\n# TYPE partyline_slow_calls_total counter\npartyline_slow_calls_total \(lock.withLock { slow })\n"
    let due = plan?.changes.filter { $0.action == .revert || $0.action == .prune }.count ?? 0
    out +=
      "# HELP partyline_reverts_due Leases past their end still to revert when the run planned.\n# TYPE partyline_reverts_due gauge\npartyline_reverts_due \(due)\n"
    let stuck = plan?.changes.filter(\.isStuck).count ?? 0
    out +=
      "# HELP partyline_reverts_stuck Reverts nobody on the call could make when the run planned (tried again at the call's next event or reconcile).\n# TYPE partyline_reverts_stuck gauge\npartyline_reverts_stuck \(stuck)\n"
    let open = leases.filter { $0.status == .open }
    out +=
      "# HELP partyline_open_leases Mutes and recording pauses Partyline holds open.\n# TYPE partyline_open_leases gauge\npartyline_open_leases \(open.count)\n"
    let oldest = open.map { now - $0.startedAt }.max() ?? 0
    out +=
      "# HELP partyline_oldest_lease_age_seconds Age of the oldest open lease.\n# TYPE partyline_oldest_lease_age_seconds gauge\npartyline_oldest_lease_age_seconds \(String(format: "%.3f", oldest))\n"
    return out
  }
}
