/// A Notifications API channel (`POST /api/v2/notifications/channels`).
public struct NotificationChannel: Sendable, Hashable, Decodable {
  public var id: String
  public var connectUri: String
  public var expires: String?
}
