import Foundation
public import OrderedJSON
public import PartylineCore
import WireTime

/// `state show`: the leases of the journal and the locks held, as a table or JSON.
public struct LeaseTable: Sendable {
  /// A lock and who holds it.
  public struct Lock: Sendable {
    /// The conversation the lock is for.
    public var conversation: String
    /// Who holds it, as the holder wrote it (process, host, workspace and since when).
    public var holder: String
    /// A lock held.
    public init(conversation: String, holder: String) {
      self.conversation = conversation
      self.holder = holder
    }
  }

  /// The journal's leases, one row each.
  public var leases: [Lease]
  /// The conversation locks held, one line each.
  public var locks: [Lock]
  /// When the table is shown: an open lease past its end is `due`.
  public var now: Double

  /// The table of `leases` and `locks` at `now`.
  public init(leases: [Lease], locks: [Lock], now: Double) {
    self.leases = leases
    self.locks = locks
    self.now = now
  }

  /// `served`, `due` or `open`.
  public func status(_ l: Lease) -> String {
    l.status == .served ? "served" : (l.endsAt <= now ? "due" : "open")
  }

  /// The JSON form: `{"leases": [...], "locks": [...]}`.
  public var json: JSONValue {
    .object([
      (
        "leases",
        .array(
          leases.map { l in
            .object([
              ("workspace", .string(l.workspace)), ("policy", .string(l.policy)),
              ("directive", .string(l.directive)), ("conversation", .string(l.conversation)),
              ("participant", .string(l.participant)), ("started", .string(Timestamp.iso8601(l.startedAt))),
              ("ends", .string(Timestamp.iso8601(l.endsAt))), ("status", .string(status(l))),
            ])
          })
      ),
      (
        "locks",
        .array(
          locks.map {
            .object([("conversation", .string($0.conversation)), ("holder", .string($0.holder))])
          })
      ),
    ])
  }

  /// The text form: a table of the leases (or `No leases.`), then a line per lock.
  public var text: String {
    var out = ""
    if leases.isEmpty {
      out += "No leases.\n"
    } else {
      let rows =
        [["WORKSPACE", "POLICY", "CONVERSATION", "PARTICIPANT", "ENDS", "STATUS"]]
        + leases.map {
          [
            $0.workspace, $0.policy, $0.conversation, $0.participant, Timestamp.iso8601($0.endsAt),
            status($0),
          ]
        }
      let widths = (0..<6).map { i in rows.map { $0[i].count }.max() ?? 0 }
      for row in rows {
        let cells = row.enumerated().map { i, c in
          i == 5 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }
        out += cells.joined(separator: "  ") + "\n"
      }
    }
    for l in locks { out += "locked: \(l.conversation) by \(l.holder)\n" }
    return out
  }
}
