/// The conversations the on-time loop is reverting now.
actor RunningSet {
  private(set) var all: Set<String> = []
  func insert(_ cid: String) { all.insert(cid) }
  func remove(_ cid: String) { all.remove(cid) }
}
