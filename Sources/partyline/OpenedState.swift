import Foundation
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineStatePostgres
import WireTime

/// An open state backend: the journal, the locker, and how to list and close it.
struct OpenedState: Sendable {
  var journal: any Journal
  var locker: any ConversationLocker
  /// For messages: the directory, or the PostgreSQL URL without its password.
  var label: String
  var allRecords: @Sendable () async throws -> [JournalRecord]
  var close: @Sendable () async -> Void
  /// The state's clock minus this machine's, in seconds: PostgreSQL's server clock is every runner's
  /// (DESIGN §5, clocks); a local directory has this machine's.
  var clockOffset: Double = 0
  /// The lead of the workspace's watchers (PostgreSQL); nil for a local directory.
  var leader: (any LeaderLease)?
  /// The local state directory; nil for PostgreSQL.
  var directory: String?

  /// `base` on the state's clock.
  func clock(_ base: any RuntimeClock) -> any RuntimeClock {
    clockOffset == 0 ? base : OffsetClock(base, offset: clockOffset)
  }
}
