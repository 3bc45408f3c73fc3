import CoreMetrics
import Foundation
import GenesysCloud
import PartylineCore
import Prometheus
import Synchronization

/// `watch`'s metrics for `/metrics`: swift-metrics instruments on a Prometheus registry of its own,
/// rendered by swift-prometheus (DESIGN §4, operating a watcher). Counters add up over the whole
/// process (every term of leading); gauges say how things stand at the scrape.
final class WatchMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()
  private let factory: PrometheusMetricsFactory

  private let leader: CoreMetrics.Gauge
  private let epoch: CoreMetrics.Gauge
  private let openLeases: CoreMetrics.Gauge
  private let leasesDue: CoreMetrics.Gauge
  private let nextRevert: CoreMetrics.Gauge
  private let revertsSent: CoreMetrics.Counter
  private let revertsLate: CoreMetrics.Counter
  private let revertsStuck: CoreMetrics.Counter
  private let mutesHeldBack: CoreMetrics.Counter
  private let revertsEarly: CoreMetrics.Counter
  private let throttled: CoreMetrics.Counter
  private let budgetLeft: CoreMetrics.Gauge
  private let eventsReconciled: CoreMetrics.Counter
  private let eventGaps: CoreMetrics.Counter
  private let requests: [RateClass: CoreMetrics.Counter]
  private let outcomes = Mutex<[String: CoreMetrics.Counter]>([:])

  /// What the client's budget had counted at the last scrape (a term's client is new: counts restart).
  private struct Seen {
    var budget: ObjectIdentifier?
    var byClass: [RateClass: Int] = [:]
    var throttled = 0
    var heldBack = 0
    var early = 0
  }
  private let seen = Mutex(Seen())

  /// A revert sent more than this after its lease's end counts as late, in seconds (DESIGN: ≤ 1 s).
  static let lateAfter = 1.0

  init() {
    factory = PrometheusMetricsFactory(registry: registry)
    leader = CoreMetrics.Gauge(label: "partyline_leader", factory: factory)
    epoch = CoreMetrics.Gauge(label: "partyline_leader_epoch", factory: factory)
    openLeases = CoreMetrics.Gauge(label: "partyline_open_leases", factory: factory)
    leasesDue = CoreMetrics.Gauge(label: "partyline_leases_due", factory: factory)
    nextRevert = CoreMetrics.Gauge(label: "partyline_next_revert_seconds", factory: factory)
    revertsSent = CoreMetrics.Counter(label: "partyline_reverts_sent_total", factory: factory)
    revertsLate = CoreMetrics.Counter(label: "partyline_reverts_late_total", factory: factory)
    revertsStuck = CoreMetrics.Counter(label: "partyline_reverts_stuck_total", factory: factory)
    mutesHeldBack = CoreMetrics.Counter(label: "partyline_mutes_held_back_total", factory: factory)
    revertsEarly = CoreMetrics.Counter(label: "partyline_reverts_promised_early_total", factory: factory)
    throttled = CoreMetrics.Counter(label: "partyline_rate_limited_total", factory: factory)
    budgetLeft = CoreMetrics.Gauge(label: "partyline_rate_budget_left", factory: factory)
    eventsReconciled = CoreMetrics.Counter(label: "partyline_events_total", factory: factory)
    eventGaps = CoreMetrics.Counter(label: "partyline_event_gaps_total", factory: factory)
    var requests: [RateClass: CoreMetrics.Counter] = [:]
    for c in RateClass.allCases {
      requests[c] = CoreMetrics.Counter(
        label: "partyline_requests_total", dimensions: [("class", c.description)], factory: factory)
    }
    self.requests = requests
    leader.record(0)
    epoch.record(0)
  }

  /// The lead changed hands.
  func note(_ notice: LeaderNotice) {
    switch notice {
    case .leading(let e):
      leader.record(1)
      epoch.record(Double(e))
    case .standingBy(_, let e):
      leader.record(0)
      epoch.record(Double(e))
    case .lost, .resigned: leader.record(0)
    case .renewalFailing, .unreachable: break
    }
  }

  /// The single watcher of a local state directory leads by definition.
  func single() { leader.record(1) }

  /// What the watcher said.
  func note(_ notice: WatchNotice) {
    switch notice {
    case .reconciled(_, .event): eventsReconciled.increment()
    case .gap(let why) where !why.hasPrefix("connected"): eventGaps.increment()
    default: break
    }
  }

  /// What the applier did: reverts sent (and how late), stuck, every outcome by action and status.
  func note(_ event: ApplyEvent) {
    switch event {
    case .sent(let change, let at):
      guard change.action == .revert || change.action == .prune else { return }
      revertsSent.increment()
      if let due = change.dueAt, at - due > Self.lateAfter { revertsLate.increment() }
    case .stuck: revertsStuck.increment()
    case .outcome(let r):
      let key = "\(r.action.rawValue)|\(r.status?.rawValue ?? "unknown")"
      let counter = outcomes.withLock { o in
        if let c = o[key] { return c }
        let c = CoreMetrics.Counter(
          label: "partyline_calls_total",
          dimensions: [("action", r.action.rawValue), ("status", r.status?.rawValue ?? "unknown")],
          factory: factory)
        o[key] = c
        return c
      }
      counter.increment()
    case .confirmed: break
    }
  }

  /// Adds what `budget` counted since it was last looked at: requests by class, 429s, mutes held back,
  /// reverts promised before their lease's end (`--revert-slack`).
  /// Called at each scrape and when a term ends (its client, and budget, go with it).
  func fold(_ budget: RateBudget) async {
    let (byClass, t, held, early, left) = await (
      budget.sentByClass, budget.throttled, budget.heldBack, budget.early, budget.left(.write)
    )
    budgetLeft.record(left)
    seen.withLock { s in
      if s.budget != ObjectIdentifier(budget) { s = Seen(budget: ObjectIdentifier(budget)) }
      for c in RateClass.allCases {
        let n = byClass[c] ?? 0
        let before = s.byClass[c, default: 0]
        if n > before { requests[c]?.increment(by: Int64(n - before)) }
        s.byClass[c] = n
      }
      if t > s.throttled { throttled.increment(by: Int64(t - s.throttled)) }
      if held > s.heldBack { mutesHeldBack.increment(by: Int64(held - s.heldBack)) }
      if early > s.early { revertsEarly.increment(by: Int64(early - s.early)) }
      (s.throttled, s.heldBack, s.early) = (t, held, early)
    }
  }

  /// Brings the gauges and the budget's counts up to now, then renders the registry.
  func scrape(leases: [Lease], now: Double, budget: RateBudget?) async -> String {
    let open = leases.filter { $0.status == .open }
    openLeases.record(open.count)
    leasesDue.record(open.filter { $0.endsAt <= now }.count)
    nextRevert.record(open.map(\.endsAt).min().map { max(0, $0 - now) } ?? 0)
    if let budget { await fold(budget) }
    return registry.emitToString()
  }
}
