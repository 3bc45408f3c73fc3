import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import OrderedJSON
import YAMLReader

/// The WebSocket at each channel's `connectUri` (`ws://127.0.0.1:PORT/channels/ID`): no auth header,
/// the channel id is the credential (docs/genesys-api.md §8.4). It sends what the channel's stream holds
/// (events, at their time), a heartbeat on `channel.metadata` every interval, answers
/// `{"message":"ping"}` with a pong, and ends when the channel closes it (a second socket, expiry, a
/// fault).
enum SimSockets {
  static func channelId(_ path: String) -> String? {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].isEmpty, parts[1] == "channels", !parts[2].isEmpty else { return nil }
    return String(parts[2])
  }

  static func metadata(_ message: String) -> String {
    JSONValue.object([
      ("topicName", .string("channel.metadata")), ("eventBody", .object([("message", .string(message))])),
    ]).render()
  }

  static func serve(
    channelId: String, socket: SimNotifications.Socket, stream: AsyncStream<SimNotifications.Outbound>,
    inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, engine: SimEngine, nio: any Channel
  ) async {
    let hub = engine.notifications
    let heartbeat = engine.options.notifications.heartbeat
    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        for await message in stream {
          if message.close {
            if message.graceful {
              // An announced close: the notice, then a close frame.
              try? await outbound.close(.goingAway, reason: "socket closing")
            } else {
              // Abruptly, as a dropped connection: no close frame.
              nio.close(promise: nil)
            }
            return
          }
          let wait = message.notBefore.timeIntervalSinceNow
          if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
          do { try await outbound.write(.text(message.text)) } catch { return }
        }
      }
      group.addTask {
        do {
          for try await message in inbound.messages(maxSize: 1 << 16) {
            guard case .text(let text) = message else { continue }
            if let v = try? JSONParser.parse(Array(text.utf8)), v["message"]?.stringValue == "ping" {
              _ = hub.send(channelId, metadata("pong"))
            }
          }
        } catch {}
      }
      group.addTask {
        while !Task.isCancelled {
          try? await Task.sleep(nanoseconds: UInt64(max(0.01, heartbeat) * 1e9))
          if Task.isCancelled || !hub.send(channelId, metadata("WebSocket Heartbeat")) { return }
        }
      }
      // The first to end (the stream closed, the client went away) ends the socket.
      await group.next()
      group.cancelAll()
    }
    hub.detach(channelId, socket: socket)
  }
}
