import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineStatePostgres
import WireTime

/// Says every 10 s that a run waits for a conversation's lock (another run acts on it).
struct ReportingLocker: ConversationLocker {
  var inner: any ConversationLocker
  var sink: @Sendable (String) -> Void

  func lock(_ conversation: String, within wait: Duration) async throws -> any ConversationLock {
    let inner = self.inner
    return try await withHeartbeat(
      sink, { "waiting \($0) s of \(Int(wait.inSeconds)) s for the lock of conversation \(conversation)" }
    ) { try await inner.lock(conversation, within: wait) }
  }
}
