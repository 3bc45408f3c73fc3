import YAMLReader

extension PolicySet {
  /// The policies with `spec.select`.
  public var selectPolicies: [ConversationPolicy] { policies.filter { $0.select != nil } }

  /// The distinct selectors of the set, in policy-name order.
  public var selectors: [CallSelector] {
    var seen = Set<String>()
    return policies.compactMap(\.select).filter { seen.insert($0.key).inserted }
  }

  /// The set as the planner sees it: every select policy joined by one copy per live call it
  /// matches (its `conversation` that call's id), so leases, role maxima, capacity and contradictions
  /// are per call, and overlapping policies are planned together per call. The digest stays the
  /// set's own.
  public func bound(to discovery: Discovery, live: LiveState) -> PolicySet {
    guard policies.contains(where: { $0.select != nil }) else { return self }
    var out: [ConversationPolicy] = []
    for p in policies {
      // The policy itself stays (with no conversation it plans nothing): its leases on calls that no
      // longer match are still its own, not pruned, until they end.
      out.append(p)
      guard let select = p.select else { continue }
      for cid in discovery.candidates[select.key] ?? [] {
        guard let call = live.conversations[cid], select.matches(call, queues: discovery.queues, live: live)
        else { continue }
        var copy = p
        copy.conversation = cid
        copy.boundBy = select
        out.append(copy)
      }
    }
    var set = PolicySet(policies: out, limits: limits, files: files)
    set.sourceDigest = digest
    return set
  }
}
