import YAMLReader

/// A queue, by id or by name (resolved through the API once per run).
public enum QueueRef: Hashable, Sendable, CustomStringConvertible {
  /// A queue id (a UUID, lowercase).
  case id(String)
  /// A queue's exact name.
  case name(String)

  /// The id or the name.
  public var description: String {
    switch self {
    case .id(let id): return id
    case .name(let name): return name
    }
  }
}
