import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineStatePostgres
import WireTime

/// A state store opened to write: its journal and locks (the locks wrapped when progress is reported).
struct OpenedState: Sendable {
  var store: any StateStore
  var journal: any Journal
  var locker: any ConversationLocker

  /// For messages: the directory, or the PostgreSQL URL without its password.
  var label: String { store.label }
  /// The lead of the workspace's watchers (PostgreSQL); nil for a local directory.
  var leader: (any LeaderLease)? { store.leader }
  /// The local state directory; nil for PostgreSQL.
  var directory: String? { (store as? LocalStateStore)?.directory }

  func close() async { await store.close() }

  /// `base` on the state's clock (see `StateStore.clockOffset`).
  func clock(_ base: any RuntimeClock) -> any RuntimeClock {
    store.clockOffset == 0 ? base : OffsetClock(base, offset: store.clockOffset)
  }
}
