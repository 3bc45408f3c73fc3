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

  /// Who leads a workspace's watchers (PostgreSQL state).
  public struct Leader: Sendable {
    /// The workspace led.
    public var workspace: String
    /// The leading watcher, as it wrote itself (process, host, workspace and since when).
    public var holder: String
    /// Its epoch.
    public var epoch: Int64
    /// Whether its lease runs now (else it lapsed or was given up, and the next watcher takes it).
    public var running: Bool
    /// A leader row.
    public init(workspace: String, holder: String, epoch: Int64, running: Bool) {
      (self.workspace, self.holder, self.epoch, self.running) = (workspace, holder, epoch, running)
    }
  }

  /// The journal's leases, one row each.
  public var leases: [Lease]
  /// The workspaces' leaders (none with a local directory).
  public var leaders: [Leader] = []
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

  /// The PARTICIPANT cell: the participant's id, or `(recording)` for a pause of the call's recording.
  public static func subject(_ l: Lease) -> String {
    l.kind == .pauseRecording ? "(recording)" : l.participant
  }

  /// `served`, `due` or `open`.
  public func status(_ l: Lease) -> String {
    l.status == .served ? "served" : (l.endsAt <= now ? "due" : "open")
  }

  /// The JSON form: `{"leases": [...], "locks": [...]}`, and `"leaders"` when watchers elect one.
  public var json: JSONValue {
    var fields: [(String, JSONValue)] = [
      (
        "leases",
        .array(
          leases.map { l in
            .object([
              ("workspace", .string(l.workspace)), ("policy", .string(l.policy)),
              ("directive", .string(l.directive)), ("conversation", .string(l.conversation)),
              ("participant", l.kind == .pauseRecording ? .null : .string(l.participant)),
              ("kind", .string(l.kind == .pauseRecording ? "pauseRecording" : "mute")),
              ("started", .string(Timestamp.iso8601(l.startedAt))),
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
    ]
    if !leaders.isEmpty {
      fields.append(
        (
          "leaders",
          .array(
            leaders.map {
              .object([
                ("workspace", .string($0.workspace)), ("holder", .string($0.holder)),
                ("epoch", .int(Int($0.epoch))), ("lease", .string($0.running ? "running" : "lapsed")),
              ])
            })
        ))
    }
    return .object(fields)
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
            $0.workspace, $0.policy, $0.conversation, Self.subject($0), Timestamp.iso8601($0.endsAt),
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
    for l in leaders {
      out +=
        "leader: workspace \(l.workspace): \(UntrustedText.clean(l.holder)) (epoch \(l.epoch), \(l.running ? "lease running" : "lease lapsed: the next watcher takes over"))\n"
    }
    return out
  }
}
