/// The event numbers an executor already used per call.
actor SeenEvents {
  private var last = RecentMap<Int>()
  func last(_ cid: String) -> Int? { last[cid] }
  func note(_ cid: String, _ seq: Int) { last[cid] = max(last[cid] ?? 0, seq) }
}
