import ArgumentParser
import Foundation
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineStatePostgres
import OrderedJSON

struct StateShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "List the leases (workspace, policy, conversation, participant, ends, status).",
    discussion: """
      Status: open (muted, lease running), due (ended, not yet reverted: the next apply or watch \
      reverts it) or served (reverted). With PostgreSQL the locks held right now are listed too.
      """
  )

  enum Format: String, ExpressibleByArgument { case text, json }

  @OptionGroup var options: StateOptions

  @Option(help: "Only this workspace's leases.")
  var workspace: String?

  @Option(help: "Output format: text or json.")
  var format: Format = .text

  func run() async throws {
    let location = StateBackend.location(options.state, sandbox: options.sandbox)
    let listing: StateListing
    var clockOffset = 0.0  // PostgreSQL's clock is the state's (DESIGN §5, clocks)
    do {
      listing = try await StateBackend.reading(location, holder: "state show") { store in
        // A state directory (or a sandbox) with nothing journalled yet lists nothing.
        guard store.exists || options.sandbox else {
          throw StateError(
            "no state at '\(location)': the directory does not exist (give --state, or run from the project directory)"
          )
        }
        clockOffset = store.clockOffset
        return try await store.listing()
      }
    } catch {
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    let records = listing.records
    var workspaces: [String] = []
    for r in records where !workspaces.contains(r.workspace) { workspaces.append(r.workspace) }
    if let workspace { workspaces = workspaces.filter { $0 == workspace } }
    var table = LeaseTable(
      leases: workspaces.sorted().flatMap { JournalState(records, workspace: $0).leases },
      locks: listing.locks.map { LeaseTable.Lock(conversation: $0.conversation, holder: $0.holder) },
      now: Date().timeIntervalSince1970 + clockOffset)
    table.leaders = listing.leaders.filter { workspace == nil || $0.workspace == workspace }.map {
      LeaseTable.Leader(workspace: $0.workspace, holder: $0.holder, epoch: $0.epoch, running: $0.running)
    }
    switch format {
    case .json: Terminal.stdout.write(table.json.render(indent: 2) + "\n")
    case .text: Terminal.stdout.write(table.text)
    }
  }
}
