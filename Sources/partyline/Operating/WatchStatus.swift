import Foundation
import PartylineCore
import Synchronization

/// What `watch` is doing, for `/readyz` and the leader gauges: its role, its epoch, the event stream and
/// the state store. Written by the campaign and the watcher's notices, read by the endpoints.
final class WatchStatus: Sendable {
  enum Role: String, Sendable {
    /// Campaigning for the first time: neither leading nor standing by yet.
    case starting
    /// Leads the workspace (PostgreSQL).
    case leader
    /// Stands by: another watcher leads (PostgreSQL).
    case standby
    /// The one watcher of a local state directory.
    case single
  }

  struct Snapshot: Sendable {
    var role = Role.starting
    var epoch: Int64?
    /// `off` (--no-events or standing by), `connecting`, `connected`, or what broke it.
    var stream = "connecting"
    /// Whether the state store answered the last time it was asked.
    var stateReachable = true
  }

  private let state: Mutex<Snapshot>
  let events: Bool

  init(role: Role, events: Bool) {
    self.events = events
    state = Mutex(Snapshot(role: role, stream: events && role == .single ? "connecting" : "off"))
  }

  var snapshot: Snapshot { state.withLock { $0 } }

  func note(_ notice: LeaderNotice) {
    state.withLock { s in
      switch notice {
      case .leading(let epoch):
        s.role = .leader
        s.epoch = epoch
        s.stream = events ? "connecting" : "off"
        s.stateReachable = true
      case .standingBy(_, let epoch):
        s.role = .standby
        s.epoch = epoch
        s.stream = "off"
        s.stateReachable = true
      case .lost, .resigned:
        s.role = .standby
        s.stream = "off"
      case .renewalFailing:
        s.stateReachable = false
      case .unreachable:
        s.stateReachable = false
      }
    }
  }

  func note(_ notice: WatchNotice) {
    state.withLock { s in
      switch notice {
      case .gap(let why): s.stream = why.hasPrefix("connected") ? "connected" : why
      case .rejected: s.stream = "polling"
      default: break
      }
    }
  }

  /// Whether an orchestrator should count this process ready: leading or standing by (or the single
  /// watcher) with its state store answering and, when leading on events, its stream connected or
  /// polling.
  var ready: Bool { ready(snapshot) }

  /// Whether `s` is ready (see `ready`): decided from one snapshot, so a body that shows the snapshot
  /// agrees with the verdict.
  func ready(_ s: Snapshot) -> Bool {
    switch s.role {
    case .starting: return false
    case .standby: return s.stateReachable
    case .leader, .single:
      return s.stateReachable && (!events || s.stream == "connected" || s.stream == "polling")
    }
  }
}
