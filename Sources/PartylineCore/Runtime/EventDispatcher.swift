/// Serialises the reconciles of one call's events: while one runs, the latest snapshot waits.
actor EventDispatcher {
  private var latest: [String: LiveConversation] = [:]
  private var running = Set<String>()

  /// Keeps the snapshot; true when the caller should start reconciling this call.
  func offer(_ call: LiveConversation) -> Bool {
    latest[call.id] = call
    return running.insert(call.id).inserted
  }

  /// The next snapshot to reconcile; nil (and the call no longer running) when there is none.
  func take(_ cid: String) -> LiveConversation? {
    if let next = latest.removeValue(forKey: cid) { return next }
    running.remove(cid)
    return nil
  }

  /// The reconciles stopped early (the run is stopping).
  func abandon(_ cid: String) {
    latest[cid] = nil
    running.remove(cid)
  }
}
