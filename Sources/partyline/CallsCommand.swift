import ArgumentParser
import Foundation
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import OrderedJSON

/// `partyline calls`: the live calls with their ids and participants, the lookup a policy author
/// needs (like `kubectl get pods`). Found with the conversation activity query, then read one by one.
/// Requests: one query per page of 100 calls, one read per call, users in bulk (100 a request), one
/// per queue shown, plus one to resolve a `--queue` name or `--user` email.
struct CallsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calls",
    abstract: "List the live calls, with ids, queue, direction and participants.",
    discussion: """
      Calls are found with the conversation activity query: a call is listed while it waits in a \
      queue or has an agent or user ringing or connected. --state and --workspace do not apply.
      """
  )

  @Option(help: "Only calls of this queue (its name or id).")
  var queue: String?

  @Option(help: "Only calls with this user as a participant (email or id).")
  var user: String?

  @Option(help: "Only inbound or outbound calls.")
  var direction: String?

  @Option(help: "Output format: text or json.")
  var format: CallsFormat = .text

  @OptionGroup var run: RunOptions

  enum CallsFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

  func validate() throws {
    if let queue, Grammar.uuid(queue) == nil, !Grammar.isQueueName(queue) {
      throw ValidationError("invalid --queue '\(queue)': expected a queue id (UUID) or its exact name")
    }
    if let user, Grammar.uuid(user) == nil, !Grammar.isEmail(user) {
      throw ValidationError("invalid --user '\(user)': expected a user id (UUID) or an email")
    }
    if let direction, CallDirection(rawValue: direction) == nil {
      throw ValidationError("invalid --direction '\(direction)': expected inbound or outbound")
    }
  }

  struct Row {
    var call: LiveConversation
    var queue: (id: String, name: String?)?
  }

  func run() async throws {
    let connection = try await Connection.open(run)
    if let banner = connection.banner { Terminal.stderr.write(banner + "\n") }
    let client = connection.client
    let rows: [Row]
    let users: [String: LiveUser]
    do {
      var queueId: String?
      if let queue {
        if let id = Grammar.uuid(queue) {
          queueId = id
        } else {
          switch try await CallDiscovery.resolve(queue: queue, client) {
          case .success(let id): queueId = id
          case .failure(let problem): throw CommandFailure(problem.message)
          }
        }
      }
      var userId: String?
      if let user {
        if let id = Grammar.uuid(user) {
          userId = id
        } else {
          guard let u = try await client.user(email: user.lowercased()) else {
            throw CommandFailure("user '\(user)' was not found in the directory")
          }
          userId = u.id.lowercased()
        }
      }
      let ids = try await client.activeCalls(queueId: queueId, userId: userId, direction: direction)
      // Read like any plan reads its calls (concurrently, within the budget); the order is set below.
      let live = try await LiveStateReader(client: client).read(
        PolicySet(policies: [], limits: .defaults, files: []), extraConversations: ids)
      let calls = ids.compactMap { live.conversations[$0] }.filter { $0.status == .found && $0.isLive }
      var queueNames: [String: String?] = [:]
      for q in Set(calls.flatMap(\.queues)).sorted() {
        queueNames[q] = UntrustedText.clean(try await client.queue(id: q)?.name)
      }
      let userIds = Set(calls.flatMap { $0.participants.compactMap(\.userId) })
      var byId: [String: LiveUser] = [:]
      for u in try await client.users(ids: Array(userIds)) {
        byId[u.id.lowercased()] = LiveUser(id: u.id.lowercased(), name: u.name, email: u.email)
      }
      users = byId
      rows = calls.sorted { ($0.startTime ?? "", $0.id) < ($1.startTime ?? "", $1.id) }.map { c in
        Row(call: c, queue: c.queues.sorted().first.map { ($0, queueNames[$0] ?? nil) })
      }
    } catch {
      await connection.close()
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    await connection.close()
    switch format {
    case .text: Terminal.stdout.write(Self.text(rows, users: users))
    case .json: Terminal.stdout.write(Self.json(rows, users: users).render(indent: 2) + "\n")
    }
  }

  /// Who a participant is: the user's email (or name, or id), else the address.
  static func who(_ p: LiveParticipant, _ users: [String: LiveUser]) -> String {
    if let id = p.userId { return users[id]?.email ?? users[id]?.name ?? id }
    return p.address ?? p.name ?? "-"
  }

  static func text(_ rows: [Row], users: [String: LiveUser]) -> String {
    if rows.isEmpty { return "No live calls.\n" }
    var out = ""
    for r in rows {
      let queue = r.queue.map { "queue \($0.name ?? $0.id)" } ?? "no queue"
      out +=
        "\(r.call.id)  \(queue)  \(r.call.direction ?? "-")  started \(r.call.startTime ?? "-")\n"
      let width = max(8, r.call.participants.map(\.purpose.count).max() ?? 0)
      let stateWidth = max(9, r.call.participants.map(\.state.count).max() ?? 0)
      for p in r.call.participants {
        let purpose = p.purpose.padding(toLength: width, withPad: " ", startingAt: 0)
        let state = p.state.padding(toLength: stateWidth, withPad: " ", startingAt: 0)
        out += "  \(p.id)  \(purpose)  \(state)  \(p.muted ? "muted  " : "       ")  \(who(p, users))\n"
      }
    }
    out += "\(rows.count) live \(rows.count == 1 ? "call" : "calls").\n"
    return out
  }

  static func json(_ rows: [Row], users: [String: LiveUser]) -> JSONValue {
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
                    .object([
                      ("id", .string(p.id)), ("purpose", .string(p.purpose)), ("state", .string(p.state)),
                      ("muted", .bool(p.muted)), ("userId", p.userId.map(JSONValue.string) ?? .null),
                      ("email", p.userId.flatMap { users[$0]?.email }.map(JSONValue.string) ?? .null),
                      ("address", p.address.map(JSONValue.string) ?? .null),
                    ])
                  })
              ))
            return .object(pairs)
          })
      ),
    ])
  }
}
