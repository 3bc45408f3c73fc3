public import PartylineCore

/// The latest call snapshot each event carried, numbered, for confirmations that wait for the next
/// one instead of reading the call again.
public actor LatestCalls {
  /// No snapshot yet.
  public init() {}

  private var latest = RecentMap<(Int, LiveConversation)>()
  private var counter = 0
  private var nextWaiter = 0
  private var waiters: [String: [Int: CheckedContinuation<(Int, LiveConversation)?, Never>]] = [:]

  /// The call's latest snapshot, as an event carried it.
  public func publish(_ call: LiveConversation) {
    counter += 1
    let ready = waiters.removeValue(forKey: call.id) ?? [:]
    for (_, c) in ready { c.resume(returning: (counter, call)) }
    // An ended call's snapshot is not kept: watch's memory follows the calls that are live. (A later
    // confirmation on it reads the call once instead.)
    latest[call.id] = call.isLive ? (counter, call) : nil
  }

  func sequence(of cid: String) -> Int { latest[cid]?.0 ?? 0 }

  /// The call's latest snapshot, if one is held (none after a gap, see `forgetAll`).
  public func current(_ cid: String) -> LiveConversation? { latest[cid]?.1 }

  /// Events may have been missed: no snapshot is current any more. (The numbering goes on, so a
  /// confirmation still takes only what comes after its change.)
  public func forgetAll() { latest = RecentMap() }

  /// The call's event carried no snapshot: what is held for it may be stale.
  public func forget(_ cid: String) { latest[cid] = nil }

  /// The first snapshot of `cid` numbered above `after`, waiting up to `within` seconds; nil if none.
  func next(_ cid: String, after: Int, within: Double) async -> (Int, LiveConversation)? {
    if let l = latest[cid], l.0 > after { return l }
    nextWaiter += 1
    let id = nextWaiter
    return await withCheckedContinuation { c in
      waiters[cid, default: [:]][id] = c
      Task {
        try? await Task.sleep(nanoseconds: UInt64(within * 1e9))
        self.timeout(cid, id)
      }
    }
  }

  private func timeout(_ cid: String, _ id: Int) {
    waiters[cid]?.removeValue(forKey: id)?.resume(returning: nil)
    if waiters[cid]?.isEmpty == true { waiters[cid] = nil }  // no key left behind per call
  }
}
