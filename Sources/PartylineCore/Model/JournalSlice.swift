/// What a run reads of the journal: the records of some conversations, whole, and how many records each
/// of them has in every workspace. A run never needs the whole journal — only the conversations it
/// acts on and those with an open lease — so a journal of weeks costs a run what its live calls cost.
public struct JournalSlice: Sendable, Equatable {
  /// The records of `conversations` in the workspace asked for, in the order written.
  public var records: [JournalRecord]
  /// The conversations whose records are all in `records` (asked for, or holding an open lease).
  public var conversations: Set<String>
  /// How many records each of `conversations` has, in every workspace (0 when none): a run compares
  /// a conversation's count under its lock with this, to learn whether any run acted on it since.
  public var counts: [String: Int]

  /// A slice.
  public init(records: [JournalRecord] = [], conversations: Set<String> = [], counts: [String: Int] = [:]) {
    self.records = records
    self.conversations = conversations
    self.counts = counts
  }

  /// The slice of `conversations` (and, when `open`, of every conversation with an open lease in
  /// `workspace`) cut from `all`, in the order written. The counts are `counts`' when given (a journal
  /// that counts every workspace apart from the records it hands over), else those of `all`.
  public init(
    cutting all: [JournalRecord], workspace: String, conversations: Set<String>, open: Bool,
    counts given: [String: Int]? = nil
  ) {
    var wanted = conversations
    if open { wanted.formUnion(JournalState.openConversations(all, workspace: workspace)) }
    var counts: [String: Int] = [:]
    for c in wanted { counts[c] = given?[c] ?? 0 }
    var records: [JournalRecord] = []
    for r in all where wanted.contains(r.conversation) {
      if given == nil { counts[r.conversation, default: 0] += 1 }
      if r.workspace == workspace { records.append(r) }
    }
    self.init(records: records, conversations: wanted, counts: counts)
  }

  /// This slice and `other` together (a conversation in both keeps this slice's records and count).
  public func merging(_ other: JournalSlice) -> JournalSlice {
    var out = self
    let new = other.conversations.subtracting(conversations)
    out.records += other.records.filter { new.contains($0.conversation) }
    out.conversations.formUnion(new)
    for c in new { out.counts[c] = other.counts[c] ?? 0 }
    return out
  }
}
