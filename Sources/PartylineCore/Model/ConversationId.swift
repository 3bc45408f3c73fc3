/// A conversation's id as the API gives it: a UUID, checked and lowercased once, when it is made. The
/// executor's calls take only these, so no unchecked text reaches a URL.
public struct ConversationId: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The lowercase UUID.
  public let rawValue: String

  /// The id, or nil when `text` is not a UUID.
  public init?(_ text: String) {
    guard let uuid = Grammar.uuid(text) else { return nil }
    rawValue = uuid
  }

  /// The lowercase UUID.
  public var description: String { rawValue }

  /// In the order of their text.
  public static func < (a: ConversationId, b: ConversationId) -> Bool { a.rawValue < b.rawValue }
}
