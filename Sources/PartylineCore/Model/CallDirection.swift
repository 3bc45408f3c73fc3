import YAMLReader

/// A call's direction, as `spec.select.direction` gives it.
public enum CallDirection: String, Hashable, Sendable, CaseIterable {
  case inbound, outbound
}
