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
  var timeout: Double
  var sink: @Sendable (String) -> Void

  func lock(_ conversation: String) async throws -> any ConversationLock {
    let (inner, timeout) = (self.inner, self.timeout)
    return try await withHeartbeat(
      sink, { "waiting \($0) s of \(Int(timeout)) s for the lock of conversation \(conversation)" }
    ) { try await inner.lock(conversation) }
  }
}
