import ArgumentParser
import OrderedJSON
import PartylineCore
import PartylineGenesys
import PartylineViews

/// `partyline calls`: the live calls with their ids and participants, the lookup a policy author
/// needs (like `kubectl get pods`): `LiveCalls` finds them, `CallsView` shows them.
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

  func run() async throws {
    let connection = try await Connection.open(run)
    if let banner = connection.banner { Terminal.stderr.write(banner + "\n") }
    let listing: LiveCalls.Listing
    do {
      listing = try await LiveCalls.list(
        queue: queue, user: user, direction: direction, client: connection.client)
    } catch {
      await connection.close()
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    await connection.close()
    switch format {
    case .text: Terminal.stdout.write(CallsView.text(listing.rows, users: listing.users))
    case .json:
      Terminal.stdout.write(CallsView.json(listing.rows, users: listing.users).render(indent: 2) + "\n")
    }
  }
}
