/// A routing queue (`GET /api/v2/routing/queues`).
public struct RoutingQueue: Sendable, Hashable, Decodable {
  /// The queue id.
  public var id: String
  /// The queue's name.
  public var name: String?
}

struct QueueListing: Decodable {
  var entities: [RoutingQueue]?
  var pageCount: Int?
  var total: Int?
}
