import ArgumentParser
import Foundation
import PartylineCore
import PartylineLocal
import PartylineStatePostgres
import WireTime

/// `partyline state compact [--keep 30d]`: drops served history so the journal stays small for runs
/// that read it all (every apply) and for watch's memory.
struct StateCompactCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compact",
    abstract: "Drop the journal's history of calls that ended more than --keep ago.",
    discussion: """
      A conversation's records are dropped together, and only when every one is older than --keep and \
      it holds no open lease in any workspace: open leases, recent history and everything a live call \
      depends on stay. Atomic on both backends (a rename of a file written beside the journal; one \
      DELETE), and appends by other runs meanwhile are never lost. `watch` runs it once a day.
      """
  )

  @OptionGroup var options: StateOptions

  @Option(
    help: "Keep what is younger than this: days (30d) or a duration (12h).",
    transform: StateCompactCommand.keep)
  var keep: Duration = JournalCompaction.defaultKeep

  static func keep(_ text: String) throws -> Duration {
    if text.hasSuffix("d"), let days = Int(text.dropLast()), days > 0, days <= 36_500 {
      return .seconds(days * 86_400)
    }
    switch FlagDuration.parse(text) {
    case .success(let d): return d.length
    case .failure(let e): throw ValidationError("--keep: \(e.message) (or days: 30d)")
    }
  }

  func run() async throws {
    let location = StateBackend.location(options.state, sandbox: options.sandbox)
    let cutoff = Date().timeIntervalSince1970 - keep.inSeconds
    let report: CompactionReport
    do {
      report = try await StateBackend.reading(location, holder: "state compact") { store in
        guard let journal = store.journal else {
          throw StateError("no journal at '\(location)' (give --state, or run from the project directory)")
        }
        // On the state's clock, as the records' times are (DESIGN §5, clocks).
        return try await journal.compact(cutoff: cutoff + store.clockOffset)
      }
    } catch {
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    Terminal.stdout.write(
      "Compacted: \(report.dropped) records of \(report.conversations) ended \(report.conversations == 1 ? "conversation" : "conversations") dropped, \(report.kept) kept.\n"
    )
  }
}
