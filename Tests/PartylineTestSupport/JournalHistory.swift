public import PartylineCore

/// Journal histories the backends' compaction tests share.
public enum JournalHistory {
  /// A mute (and, when `served`, its revert) of participant `p` in `conversation` at `at`, in workspace
  /// `default`.
  public static func mute(_ conversation: String, at: Double, served: Bool) -> [JournalRecord] {
    func r(_ kind: JournalRecord.Kind, _ id: String, _ action: PlannedChange.Action, _ t: Double)
      -> JournalRecord
    {
      JournalRecord(
        kind: kind, id: "\(conversation)-\(id)", at: t, workspace: "default", run: "r", action: action,
        conversation: conversation, participant: "p", policy: "p1", directive: "d",
        leaseEnds: action == .mute && kind == .intent ? t + 60 : nil, status: kind == .outcome ? .ok : nil)
    }
    let mute = [r(.intent, "m", .mute, at), r(.outcome, "m", .mute, at + 0.1)]
    return served ? mute + [r(.intent, "u", .revert, at + 60), r(.outcome, "u", .revert, at + 60.1)] : mute
  }
}
