import Foundation
import GenesysCloud
import PartylineCore

/// The applier's side effects through the Genesys Cloud client.
struct GenesysExecutor: ApplyExecutor {
  let client: GenesysClient

  func map(_ error: any Error) -> any Error {
    if let e = error as? GenesysError {
      switch e {
      case .api(let status, _, _, let correlationId) where status < 500 && status != 429 && status != 408:
        return CallFailure.refused(status: status, message: e.description, correlationId: correlationId)
      default:
        return CallFailure.unknown(e.description)
      }
    }
    return CallFailure.unknown("\(error)")
  }

  func setMuted(_ muted: Bool, conversation: String, participant: String, actingUser: String) async throws
    -> CallResult
  {
    do {
      let r = try await client.setMuted(
        muted, conversation: conversation, participant: participant, onBehalfOf: actingUser)
      return CallResult(status: r.status, correlationId: r.correlationId, latency: r.latency)
    } catch { throw map(error) }
  }

  func add(_ target: AddTarget, conversation: String, actingUser: String) async throws -> CallResult {
    do {
      let r: GenesysClient.Response
      switch target {
      case .user(let ref):
        r = try await client.addParticipant(
          conversation: conversation, onBehalfOf: actingUser, userId: "\(ref)")
      case .address(let a):
        r = try await client.addParticipant(conversation: conversation, onBehalfOf: actingUser, address: a)
      }
      return CallResult(status: r.status, correlationId: r.correlationId, latency: r.latency)
    } catch { throw map(error) }
  }

  func read(conversation: String) async throws -> LiveConversation? {
    guard let c = try await client.callConversation(conversation) else { return nil }
    return LiveStateReader.convert(c)
  }
}

/// `--dry-run`: records and prints the calls it would make; reads nothing, changes nothing.
final class DryRunExecutor: ApplyExecutor, @unchecked Sendable {
  private let lock = NSLock()
  private(set) var calls: [String] = []

  func note(_ s: String) {
    lock.withLock { calls.append(s) }
    Terminal.stdout.write("  would \(s)\n")
  }

  func setMuted(_ muted: Bool, conversation: String, participant: String, actingUser: String) async throws
    -> CallResult
  {
    note(
      "PATCH /api/v2/conversations/calls/\(conversation)/participants/\(participant)/user/\(actingUser) {\"muted\":\(muted)}"
    )
    return CallResult(status: 0, correlationId: nil, latency: 0)
  }

  func add(_ target: AddTarget, conversation: String, actingUser: String) async throws -> CallResult {
    let entry: String
    switch target {
    case .user(let ref): entry = "{\"userId\":\"\(ref)\"}"
    case .address(let a): entry = "{\"address\":\"\(a)\"}"
    }
    note(
      "POST /api/v2/conversations/calls/\(conversation)/participants/user/\(actingUser) {\"participants\":[\(entry)]}"
    )
    return CallResult(status: 0, correlationId: nil, latency: 0)
  }

  func read(conversation: String) async throws -> LiveConversation? { nil }
}
