import WireTime
extension Reconcile {
  /// Adds of a role with `muted: true` (an observer) confirmed by this run: their conversations.
  func addsOfMutedRoles(_ report: ApplyReport) -> [PlannedChange] {
    report.items.filter {
      $0.result == .confirmed && $0.change.action == .add
        && set.limits.role(named: $0.change.role ?? "")?.muted == true
    }.map(\.change)
  }

  /// An added party of a muted role rings first; it can only be muted once connected. Rather than leave
  /// it unmuted until the next run, wait (up to `confirmTimeout`) for it to connect and mute it now, so
  /// one apply converges: "apply, then plan is empty" holds for observers too.
  /// `bound` is the set as this run planned it (select policies bound to their calls).
  func muteAddedPartiesOnceConnected(
    _ adds: [PlannedChange], bound: PolicySet, execution: Execution
  ) async throws -> ApplyReport? {
    guard !adds.isEmpty, !execution.dryRun else { return nil }
    let deadline = clock.now() + execution.confirmTimeout.inSeconds
    var waiting = adds
    var ready = Set<String>()
    var interval = 0.25
    while !waiting.isEmpty && clock.now() < deadline {
      try? await clock.sleep(until: min(clock.now() + interval, deadline))
      interval = min(interval * 2, 2)
      var still: [PlannedChange] = []
      for id in Set(waiting.map(\.conversation)).sorted() {
        guard let conv = try await source.conversation(id, urgent: false) else { continue }
        for add in waiting where add.conversation == id {
          let party = conv.participants.first { p in
            switch add.addTarget {
            case .user(let ref)?: return p.userId == "\(ref)"
            case .address(let a)?: return p.hasNumber(a)
            case nil: return false
            }
          }
          if party?.isConnected == true {
            ready.insert(id.rawValue)
          } else if party.map({ !$0.hasLeft }) ?? true {
            still.append(add)
          }
        }
      }
      waiting = still
    }
    guard !ready.isEmpty else { return nil }
    var again = self
    again.set = bound
    again.scope = .addedParties(ready)
    return try await again.run(execution).report
  }
}
