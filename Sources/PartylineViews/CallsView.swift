public import OrderedJSON
public import PartylineCore

/// How `partyline calls` shows the live calls: text (a line per call, a line per participant) or
/// JSON (`formatVersion` 1).
public enum CallsView {
  /// A call with its first queue (id and name, when the queue says one).
  public typealias Row = (call: LiveConversation, queue: (id: String, name: String?)?)

  /// Who a participant is: the user's email (or name, or id), else the address.
  static func who(_ p: LiveParticipant, _ users: [String: LiveUser]) -> String {
    if let id = p.userId { return users[id]?.email ?? users[id]?.name ?? id }
    return p.address ?? p.name ?? "-"
  }

  /// A supervision leg's media role and whom it supervises (`monitor of fe9c…`); nil for an ordinary
  /// participant.
  static func supervision(_ p: LiveParticipant) -> String? {
    guard let role = p.supervision else { return nil }
    return p.supervisedParticipantId.map { "\(role) of \($0)" } ?? role
  }

  /// `s` with spaces up to `width` characters.
  static func pad(_ s: String, _ width: Int) -> String {
    s + String(repeating: " ", count: max(0, width - s.count))
  }

  /// The calls as text.
  public static func text(_ rows: [Row], users: [String: LiveUser]) -> String {
    if rows.isEmpty { return "No live calls.\n" }
    var out = ""
    for r in rows {
      let queue = r.queue.map { "queue \($0.name ?? $0.id)" } ?? "no queue"
      out +=
        "\(r.call.id)  \(queue)  \(r.call.direction ?? "-")  started \(r.call.startTime ?? "-")\n"
      let width = max(8, r.call.participants.map(\.purpose.count).max() ?? 0)
      let stateWidth = max(9, r.call.participants.map(\.state.count).max() ?? 0)
      for p in r.call.participants {
        let purpose = pad(p.purpose, width)
        let state = pad(p.state, stateWidth)
        out += "  \(p.id)  \(purpose)  \(state)  \(p.muted ? "muted  " : "       ")  \(who(p, users))"
        out += supervision(p).map { "  (\($0))" } ?? ""
        out += "\n"
      }
    }
    out += "\(rows.count) live \(rows.count == 1 ? "call" : "calls").\n"
    return out
  }

  /// The calls as JSON.
  public static func json(_ rows: [Row], users: [String: LiveUser]) -> JSONValue {
    .object([
      ("formatVersion", 1),
      (
        "calls",
        .array(
          rows.map { r in
            var pairs: [(String, JSONValue)] = [("id", .string(r.call.id))]
            pairs.append(
              (
                "queue",
                r.queue.map {
                  .object([("id", .string($0.id)), ("name", $0.name.map(JSONValue.string) ?? .null)])
                }
                  ?? .null
              ))
            pairs.append(("direction", r.call.direction.map(JSONValue.string) ?? .null))
            pairs.append(("startTime", r.call.startTime.map(JSONValue.string) ?? .null))
            pairs.append(
              (
                "participants",
                .array(
                  r.call.participants.map { p in
                    var fields: [(String, JSONValue)] = [
                      ("id", .string(p.id)), ("purpose", .string(p.purpose)), ("state", .string(p.state)),
                      ("muted", .bool(p.muted)), ("userId", p.userId.map(JSONValue.string) ?? .null),
                      ("email", p.userId.flatMap { users[$0]?.email }.map(JSONValue.string) ?? .null),
                      ("address", p.address.map(JSONValue.string) ?? .null),
                    ]
                    // Only on a leg Genesys added for supervision: its media role and whom it supervises.
                    if let role = p.supervision {
                      fields.append(("mediaRole", .string(role)))
                      fields.append(("supervises", p.supervisedParticipantId.map(JSONValue.string) ?? .null))
                    }
                    return .object(fields)
                  })
              ))
            return .object(pairs)
          })
      ),
    ])
  }
}
