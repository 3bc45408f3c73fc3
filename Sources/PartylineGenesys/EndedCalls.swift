import PartylineCore

/// Calls that have ended (every participant has left). A call never starts again, so `watch` keeps
/// what it last read of them instead of reading them on every full reconcile until their policy files
/// go. Bounded: the oldest are forgotten first, and a forgotten call is only read again.
public actor EndedCalls {
  private(set) var all: [String: LiveConversation] = [:]
  private var order: [String] = []
  let limit: Int

  /// Remembers at most `limit` ended calls.
  public init(limit: Int = 10_000) { self.limit = limit }

  func insert(_ conv: LiveConversation) {
    guard conv.status == .found, !conv.isLive, all[conv.id] == nil else { return }
    all[conv.id] = conv
    order.append(conv.id)
    if order.count > limit {
      all[order.removeFirst()] = nil
    }
  }
}
