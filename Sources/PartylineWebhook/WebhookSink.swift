import AsyncHTTPClient
import Backoff
import Foundation
import Loopback
import NIOCore
import NIOHTTP1
public import OrderedJSON
public import PartylineCore
import WireTime

/// Delivers events to a webhook without ever blocking or failing the apply: a bounded queue, retries
/// with backoff, and a short flush at the end. Never sends the API token.
public final class WebhookSink: @unchecked Sendable {
  let url: String
  let secret: [UInt8]?
  let http: HTTPClient
  private let lock = NSLock()
  /// Deliveries not yet done (each removes itself when done, so a long watch keeps none it finished).
  private var inFlight: [Int: Task<Void, Never>] = [:]
  private var finished = Set<Int>()
  private var nextId = 0

  /// A webhook URL that is not https (plain http only on loopback).
  public struct URLRefused: Error, CustomStringConvertible {
    public var description: String
  }

  /// Refuses a URL that is not https (plain http only on loopback).
  public static func checkURL(_ url: String) throws {
    guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), let host = u.host,
      scheme == "https" || (scheme == "http" && Loopback.contains(host))
    else {
      throw URLRefused(description: "--webhook '\(url)' must be an https URL (plain http only on loopback)")
    }
  }

  /// A sink delivering to `url`, signing with `secret` when there is one.
  public init(url: String, secret: String?) throws {
    try Self.checkURL(url)
    self.url = url
    self.secret = secret.map { Array($0.utf8) }
    // No redirects: a 3xx would carry the body and its signature elsewhere (https to http included).
    http = HTTPClient(
      eventLoopGroupProvider: .singleton,
      configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
  }

  public static func body(_ record: JournalRecord) -> String {
    JSONValue.object([("type", .string("partyline.\(record.kind.rawValue)")), ("record", record.json)])
      .render()
  }

  /// What a `revert.stuck` delivery says: the lease's conversation, participant, policy, directive, when
  /// it ended and why nobody can revert it.
  public static func stuckPayload(_ c: PlannedChange) -> JSONValue {
    .object([
      ("action", .string(c.action.rawValue)), ("conversation", .string(c.conversation.rawValue)),
      ("participant", c.participant.map { .string($0) } ?? .null), ("policy", .string(c.policy)),
      ("directive", .string(c.directive)),
      ("leaseEnded", c.dueAt.map { .string(Timestamp.iso8601($0)) } ?? .null),
      ("reason", c.blocked.map { .string($0) } ?? .null),
    ])
  }

  /// Delivers a journal record: `{"type": "partyline.KIND", "record": …}`.
  public func send(_ record: JournalRecord) {
    send(body: Self.body(record))
  }

  /// Delivers an event that is not a journal record (`revert.stuck`): `{"type": "partyline.TYPE",
  /// "change": payload}`.
  public func send(type: String, payload: JSONValue) {
    send(body: JSONValue.object([("type", .string("partyline.\(type)")), ("change", payload)]).render())
  }

  /// The signature of one delivery attempt: HMAC-SHA256, keyed by the secret, of
  /// `TIMESTAMP.DELIVERY.BODY` (the `X-Partyline-Timestamp` and `X-Partyline-Delivery` headers and the
  /// body), so a receiver that checks the timestamp's age and remembers delivery ids can refuse a
  /// replay.
  public static func signature(secret: [UInt8], timestamp: Int, delivery: String, body: String) -> String {
    "sha256="
      + Digest.hex(Digest.hmacSHA256(key: secret, message: Array("\(timestamp).\(delivery).\(body)".utf8)))
  }

  private func send(body: String) {
    let delivery = UUID().uuidString.lowercased()  // the same for every attempt of this delivery
    let secret = self.secret
    let id = lock.withLock { () -> Int in
      nextId += 1
      return nextId
    }
    let task = Task { [self] in
      defer { done(id) }
      // Four attempts; a delivery that still fails is dropped (the journal holds the record).
      _ = try? await Backoff.webhook.retrying(attempts: 4) { _ in
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "partyline")
        let timestamp = Int(Date().timeIntervalSince1970)
        request.headers.add(name: "X-Partyline-Delivery", value: delivery)
        request.headers.add(name: "X-Partyline-Timestamp", value: String(timestamp))
        if let secret {
          request.headers.add(
            name: "X-Partyline-Signature",
            value: Self.signature(secret: secret, timestamp: timestamp, delivery: delivery, body: body))
        }
        request.body = .bytes(ByteBuffer(string: body))
        let r = try await http.execute(request, timeout: .seconds(5))
        _ = try? await r.body.collect(upTo: 1 << 16)
        guard (200..<300).contains(Int(r.status.code)) else { throw Refused(status: Int(r.status.code)) }
      }
    }
    lock.withLock {
      if finished.remove(id) == nil { inFlight[id] = task }
    }
  }

  /// A delivery the receiver answered with a status other than 2xx.
  struct Refused: Error { var status: Int }

  private func done(_ id: Int) {
    lock.withLock {
      if inFlight.removeValue(forKey: id) == nil { finished.insert(id) }
    }
  }

  /// Waits up to `seconds` for deliveries in flight, then gives up on them (the apply is done).
  public func flush(seconds: Double = 5) async {
    let tasks = lock.withLock { Array(inFlight.values) }
    let deadline = Date().addingTimeInterval(seconds)
    for t in tasks {
      if Date() > deadline {
        t.cancel()
        continue
      }
      await withTaskGroup(of: Void.self) { g in
        g.addTask { await t.value }
        g.addTask { try? await Task.sleep(nanoseconds: UInt64(max(0, deadline.timeIntervalSinceNow) * 1e9)) }
        await g.next()
        g.cancelAll()
      }
    }
    try? await http.shutdown()
  }
}
