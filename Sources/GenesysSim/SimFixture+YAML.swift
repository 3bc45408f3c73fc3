import OrderedJSON
import YAMLReader

extension SimFixture {
  /// The fixture as YAML that `parse` reads back to an equal fixture (strings double-quoted with JSON
  /// escapes, which YAML reads alike).
  public func yaml() -> String {
    func q(_ s: String) -> String {
      var out = ""
      JSONValue.escape(s, into: &out)
      return out
    }
    var out = "# Partyline emulator state (a fixture: partyline sim serve --fixture FILE)\n"
    out += "clients:\n"
    for c in clients {
      out += "  - id: \(q(c.id))\n"
      out += "    secret: \(q(c.secret))\n"
      out += "    permissions: [\(c.permissions.map(q).joined(separator: ", "))]\n"
      if let lifetime = c.tokenLifetime { out += "    tokenLifetime: \(SimDuration.format(lifetime))\n" }
      if !c.limits.isEmpty {
        out +=
          "    limits: {\(c.limits.sorted { $0.key < $1.key }.map { "\(q($0.key)): \($0.value)" }.joined(separator: ", "))}\n"
      }
    }
    if !queues.isEmpty { out += "queues:\n" }
    for queue in queues {
      out += "  - id: \(q(queue.id))\n"
      out += "    name: \(q(queue.name))\n"
    }
    if !topicPermissions.isEmpty {
      out += "topicPermissions:\n"
      for (topic, names) in topicPermissions.sorted(by: { $0.key < $1.key }) {
        out += "  \(q(topic)): [\(names.map(q).joined(separator: ", "))]\n"
      }
    }
    out += users.isEmpty ? "users: []\n" : "users:\n"
    for u in users {
      out += "  - id: \(q(u.id))\n"
      out += "    name: \(q(u.name))\n"
      if let email = u.email { out += "    email: \(q(email))\n" }
      out += "    presence: \(q(u.presence))\n"
    }
    out += conversations.isEmpty ? "conversations: []\n" : "conversations:\n"
    for c in conversations {
      out += "  - id: \(q(c.id))\n"
      if let m = c.maxParticipants { out += "    maxParticipants: \(m)\n" }
      if let queue = c.queue { out += "    queue: \(q(queue))\n" }
      if c.direction != "inbound" { out += "    direction: \(q(c.direction))\n" }
      if c.recordingState != "none" { out += "    recordingState: \(q(c.recordingState))\n" }
      out += c.participants.isEmpty ? "    participants: []\n" : "    participants:\n"
      for p in c.participants {
        out += "      - id: \(q(p.id))\n"
        out += "        purpose: \(q(p.purpose))\n"
        out += "        state: \(q(p.state))\n"
        if let user = p.user { out += "        user: \(q(user))\n" }
        if let name = p.name { out += "        name: \(q(name))\n" }
        if let address = p.address { out += "        address: \(q(address))\n" }
        if p.muted { out += "        muted: true\n" }
        if p.held { out += "        held: true\n" }
        if let t = p.connectedTime { out += "        connectedTime: \"\(isoDate(t))\"\n" }
        if !p.mediaRoles.isEmpty {
          out += "        mediaRoles: [\(p.mediaRoles.map(q).joined(separator: ", "))]\n"
        }
        if let s = p.supervises,
          let key = SimFixture.supervisionKeys.first(where: { p.mediaRoles.contains($0.role) })?.key
        {
          out += "        \(key): \(q(s))\n"
        }
      }
    }
    return out
  }
}
