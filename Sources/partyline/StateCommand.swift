import ArgumentParser
import Foundation
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineStatePostgres
import OrderedJSON

struct StateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "state",
    abstract: "Inspect the state (journal, leases, locks) and clear a stuck lock.",
    subcommands: [StateShowCommand.self, StateUnlockCommand.self]
  )
}

/// Options of the state subcommands.
struct StateOptions: ParsableArguments {
  @Option(help: "Where the journal and leases live: a directory, or postgres://… (env PARTYLINE_STATE).")
  var state: String?

  @Flag(help: "The sandbox's journal (.partyline/sandbox/) instead.")
  var sandbox = false

  func validate() throws {
    if sandbox && state != nil { throw ValidationError("--sandbox and --state name two states: give one") }
  }
}

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
    let records: [JournalRecord]
    var locks: [(conversation: String, holder: String)] = []
    do {
      if PostgresURL.isPostgres(location) {
        let store = try await PostgresStore.open(
          try PostgresURL(location), holder: "state show", migrate: false)
        do {
          records = try await PostgresJournal(store: store).allRecords()
          locks = try await store.currentLocks()
        } catch {
          await store.close()
          throw error
        }
        await store.close()
      } else if try {
        try StateBackend.refuseOtherURLs(location); return true
      }(),
        FileManager.default.fileExists(atPath: location + "/journal.jsonl")
      {
        records = try LocalJournal(directory: location).allRecords()
      } else if options.sandbox || FileManager.default.fileExists(atPath: location) {
        records = []  // a state directory (or a sandbox) with nothing journalled yet
      } else {
        throw StateError(
          "no state at '\(location)': the directory does not exist (give --state, or run from the project directory)"
        )
      }
    } catch {
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    var workspaces: [String] = []
    for r in records where !workspaces.contains(r.workspace) { workspaces.append(r.workspace) }
    if let workspace { workspaces = workspaces.filter { $0 == workspace } }
    let table = LeaseTable(
      leases: workspaces.sorted().flatMap { JournalState(records, workspace: $0).leases },
      locks: locks.map { LeaseTable.Lock(conversation: $0.conversation, holder: $0.holder) },
      now: Date().timeIntervalSince1970)
    switch format {
    case .json: Terminal.stdout.write(table.json.render(indent: 2) + "\n")
    case .text: Terminal.stdout.write(table.text)
    }
  }
}

struct StateUnlockCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unlock",
    abstract: "Release a stuck conversation lock.",
    discussion: """
      PostgreSQL: ends the database session holding the lock (which releases it; that run can no \
      longer journal intents for the conversation and stops acting on it) and clears the holder note. \
      Local directory: a lock file's flock is released by the kernel when its process dies, so only a \
      stale holder note can be cleared; a lock held by a live process is reported, not broken.
      """
  )

  @Argument(help: "The conversation id.")
  var conversation: String

  @OptionGroup var options: StateOptions

  func validate() throws {
    guard Grammar.uuid(conversation) != nil else {
      throw ValidationError("invalid conversation id '\(conversation)'")
    }
  }

  func run() async throws {
    let location = StateBackend.location(options.state, sandbox: options.sandbox)
    do {
      if PostgresURL.isPostgres(location) {
        let store = try await PostgresStore.open(
          try PostgresURL(location), holder: "state unlock", migrate: false)
        let report: PostgresStore.UnlockReport
        do {
          report = try await store.unlock(conversation)
        } catch {
          await store.close()
          throw error
        }
        await store.close()
        if report.terminated.isEmpty {
          Terminal.stdout.write("conversation \(conversation) was not locked")
          Terminal.stdout.write(
            report.clearedNotes.isEmpty
              ? ".\n" : "; removed a stale holder note (\(report.clearedNotes.joined(separator: "; "))).\n")
        } else {
          for h in report.terminated {
            Terminal.stdout.write(
              "conversation \(conversation) unlocked: ended PostgreSQL session \(h.backendPid) held by \(h.holder).\n"
            )
          }
          Terminal.stdout.write(
            "That run can no longer record intents for this conversation and stops acting on it; "
              + "run plan to see what is left, and apply to converge.\n")
        }
      } else {
        try StateBackend.refuseOtherURLs(location)
        let locker = try LocalLocker(directory: location, timeout: 0, holder: "")
        switch try locker.unlock(conversation) {
        case .notLocked:
          Terminal.stdout.write("conversation \(conversation) was not locked.\n")
        case .clearedStaleNote(let note):
          Terminal.stdout.write(
            "conversation \(conversation) was not locked; removed a stale holder note (\(note)).\n")
        case .heldByLiveProcess(let holder):
          Terminal.stderr.write(
            "error: conversation \(conversation) is locked by \(holder), a live process: a lock file's flock "
              + "cannot be broken from outside; stop that process (the kernel then releases the lock) or wait for it\n"
          )
          throw ExitCode(1)
        }
      }
    } catch let e as ExitCode {
      throw e
    } catch {
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
  }
}
