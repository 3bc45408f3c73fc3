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

  /// A random history (journal lines, a few of them damaged) of many conversations, several workspaces and runs: mutes served, open, failed
  /// or without an outcome, re-mutes, closes, retimes, adds and damaged lines.
  public static func random(
    _ n: Int, seed: UInt64, prefix: String = "conv-", from start: Double = 1_800_000_000
  ) -> [String] {
    var rng = SeededRandom(seed)
    var lines: [String] = []
    for i in 0..<n {
      let c = "\(prefix)\(rng.next() % 60)"
      let w = rng.next() % 4 == 0 ? "other" : "default"
      let p = "p\(rng.next() % 3)"
      let id = "i\(i)"
      let at = start + Double(i)
      func r(_ kind: JournalRecord.Kind, _ action: PlannedChange.Action, status: JournalRecord.Status? = nil)
        -> JournalRecord
      {
        // "p2" stands for the call itself: its mutes are recording pauses, leases without a participant.
        let onCall = p == "p2" && action != .add
        return JournalRecord(
          kind: kind, id: id, at: at, workspace: w, run: "run\(i % 7)",
          action: onCall && action == .mute ? .pause : action, conversation: c,
          participant: action == .add || onCall ? nil : p, policy: "pol", directive: "d",
          role: action == .add ? "agent" : nil,
          leaseEnds: action == .mute || kind == .retime ? at + 600 : nil, status: status)
      }
      switch rng.next() % 10 {
      case 0, 1, 2: lines.append(r(.intent, .mute).line)
      case 3: lines += [r(.intent, .mute).line, r(.outcome, .mute, status: .failed).line]
      case 4: lines += [r(.intent, .mute).line, r(.outcome, .mute, status: .ok).line]
      case 5, 6: lines += [r(.intent, .revert).line, r(.outcome, .revert, status: .ok).line]
      case 7: lines.append(r(.close, .revert).line)
      case 8: lines += [r(.intent, .add).line, r(.outcome, .add, status: .ok).line]
      default: lines.append(rng.next() % 2 == 0 ? "{\"damaged\": \(i)}" : r(.retime, .mute).line)
      }
    }
    return lines
  }
}

/// A small seeded generator (SplitMix64): the same history for the same seed.
public struct SeededRandom {
  var state: UInt64
  /// The generator for `seed`.
  public init(_ seed: UInt64) { state = seed }
  /// The next number.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
