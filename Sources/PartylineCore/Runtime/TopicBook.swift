/// What the watcher's events need from its full reconciles: the topics to follow (the selected queues
/// and users, and the users on the calls named by id) and the discovery to bind an event's call with.
actor TopicBook {
  private(set) var topics: [WatchTopic] = []
  private var discovery = DiscoveredCalls()
  private(set) var polling = false

  func setPolling() { polling = true }

  func learn(_ outcome: Reconcile.Outcome) {
    guard let set = outcome.set else { return }
    discovery = outcome.discovery
    var queues = Set(discovery.discovery.queues.values)
    var users = Set(discovery.seed.emails.values)
    for p in set.policies {
      if case .id(let q)? = p.select?.queue { queues.insert(q) }
      if case .id(let u)? = p.select?.user { users.insert(u) }
      // A call named by id (or a selected call already bound): its users' topics carry its events.
      if p.select == nil, p.boundBy == nil, let call = outcome.live.conversations[p.conversation] {
        for party in call.participants where !party.hasLeft { if let u = party.userId { users.insert(u) } }
      }
    }
    topics = queues.sorted().map(WatchTopic.queue) + users.sorted().map(WatchTopic.user)
  }

  /// Discovery for one event's call: every selector's candidate is that call.
  func given(for cid: String, in set: PolicySet) -> DiscoveredCalls {
    var out = discovery
    out.discovery.candidates = Dictionary(uniqueKeysWithValues: set.selectors.map { ($0.key, [cid]) })
    out.discovery.findings = []
    return out
  }
}
