import YAMLReader
/// Where the runtime reads the live state from: the Genesys adapter reads the Platform API, a test
/// serves values. One read is discovery (select policies find their calls), the read of every call
/// and user the set needs, and the binding of the select policies to the calls found.
public protocol LiveStateSource: Sendable {
  /// Discovery, the live read and the binding, as one step (plan, apply and watch share it).
  func read(_ request: LiveReadRequest) async throws -> LiveRead
  /// One conversation read again (a re-plan under its lock, the follow-up of an added observer); nil
  /// when it does not exist. The id is checked: only a UUID reaches the source. `urgent`: the read
  /// serves reverts due now (watch's on-time loop).
  func conversation(_ id: ConversationId, urgent: Bool) async throws -> LiveConversation?
}
