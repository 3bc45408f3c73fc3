import YAMLReader
import OrderedJSON
import WireTime

/// Why a saved plan is refused, said so that the user knows what to do.
public struct SavedPlanError: Error, Sendable, CustomStringConvertible {
  /// What is wrong, and what to do about it.
  public var description: String
  /// An error that says `description`.
  public init(_ description: String) { self.description = description }
}

extension SavedPlanError {
  /// The conversations changed since the plan was made.
  public static func changed(_ conversations: [String]) -> SavedPlanError {
    SavedPlanError(
      "refusing the saved plan: \(conversations.count == 1 ? "conversation" : "conversations") \(conversations.joined(separator: ", ")) changed since it was made; run plan again"
    )
  }

  /// The plan was applied before (`prior` is a record of that apply).
  public static func applied(_ planId: String, _ prior: JournalRecord) -> SavedPlanError {
    SavedPlanError(
      "refusing the saved plan: plan \(planId) was already applied (run \(prior.run) at \(Timestamp.iso8601(prior.at))); a saved plan applies once: run plan again"
    )
  }
}
