/// Serialises the reconciles of one call's events and caps how many calls reconcile at once: while
/// a call's reconcile runs, only its latest work waits (a newer snapshot replaces an older one); a
/// call that finds every worker busy waits its turn, oldest first. So what the events keep in memory
/// is bounded by the calls that are live, whatever the rate of events.
actor EventDispatcher {
  /// What an event asks for a call.
  enum Work: Sendable {
    /// Planned from the event's snapshot.
    case snapshot(LiveConversation)
    /// The event's body was no snapshot: the call is read.
    case read
  }

  /// How many calls may reconcile at once.
  let limit: Int
  private var latest: [String: Work] = [:]
  private var running = Set<String>()
  private var waiting: [String] = []
  private var waitingHead = 0
  private var queued = Set<String>()

  init(limit: Int = EventDispatcher.defaultLimit) {
    precondition(limit > 0)
    self.limit = limit
  }

  /// Enough for every call of a busy token to be planned at once (300 requests a minute cannot
  /// serve more), few enough to bound the reconciles waiting for admission.
  static let defaultLimit = 128

  /// Keeps the work; true when the caller should start a worker for this call (then it calls
  /// `next(after:)` with the call's id to get its work).
  func offer(_ cid: String, _ work: Work) -> Bool {
    latest[cid] = work
    if running.contains(cid) || queued.contains(cid) { return false }
    if running.count < limit {
      running.insert(cid)
      return true
    }
    queued.insert(cid)
    waiting.append(cid)
    return false
  }

  /// The worker that ran `cid` asks for more: the same call's newer work first, else the call that
  /// has waited longest; nil (and the worker ends) when there is none.
  func next(after cid: String) -> (cid: String, work: Work)? {
    if let work = latest.removeValue(forKey: cid) { return (cid, work) }
    running.remove(cid)
    while waitingHead < waiting.count {
      let next = waiting[waitingHead]
      waitingHead += 1
      queued.remove(next)
      if let work = latest.removeValue(forKey: next) {
        running.insert(next)
        compactWaiting()
        return (next, work)
      }
    }
    compactWaiting()
    return nil
  }

  /// Whether newer work for `cid` waits (an event came while its reconcile runs).
  func hasNewer(_ cid: String) -> Bool { latest[cid] != nil }

  /// The run is stopping: whatever waits is dropped.
  func abandon() {
    latest.removeAll()
    running.removeAll()
    waiting.removeAll()
    waitingHead = 0
    queued.removeAll()
  }

  /// How many calls are reconciling, and how many wait for a worker.
  var load: (running: Int, waiting: Int) { (running.count, queued.count) }

  private func compactWaiting() {
    if waitingHead == waiting.count {
      waiting.removeAll(keepingCapacity: true)
      waitingHead = 0
    } else if waitingHead > 1024, waitingHead * 2 > waiting.count {
      waiting.removeFirst(waitingHead)
      waitingHead = 0
    }
  }
}
