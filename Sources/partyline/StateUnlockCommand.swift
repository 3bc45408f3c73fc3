import ArgumentParser
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineStatePostgres
import OrderedJSON

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
      let outcome = try await StateBackend.reading(location, holder: "state unlock") {
        try await $0.unlock(conversation)
      }
      if let holder = outcome.heldBy {
        Terminal.stderr.write(
          "error: conversation \(conversation) is locked by \(holder), a live process: a lock file's flock "
            + "cannot be broken from outside; stop that process (the kernel then releases the lock) or wait for it\n"
        )
        throw ExitCode(1)
      }
      if outcome.ended.isEmpty {
        Terminal.stdout.write("conversation \(conversation) was not locked")
        Terminal.stdout.write(
          outcome.clearedNotes.isEmpty
            ? ".\n" : "; removed a stale holder note (\(outcome.clearedNotes.joined(separator: "; "))).\n")
      } else {
        for h in outcome.ended {
          Terminal.stdout.write("conversation \(conversation) unlocked: ended \(h).\n")
        }
        Terminal.stdout.write(
          "That run can no longer record intents for this conversation and stops acting on it; "
            + "run plan to see what is left, and apply to converge.\n")
      }
    } catch let e as ExitCode {
      throw e
    } catch {
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
  }
}
