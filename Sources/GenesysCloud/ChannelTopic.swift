/// A subscription's answer per topic: Permitted, or Rejected with the reason and missing permissions.
public struct ChannelTopic: Sendable, Hashable, Decodable {
  public var id: String
  public var state: String?
  public var rejectionReason: String?
  public var missingPermissions: [String]?

  public var rejected: Bool { state?.lowercased() == "rejected" }
}

struct ChannelTopicListing: Decodable {
  var entities: [ChannelTopic]?
}
