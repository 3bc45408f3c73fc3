import Foundation
public import PartylineCore
import Synchronization

/// A clock that only moves when a test moves it: the runtime's sleeps wait until `advance` passes
/// their deadlines, so a test of time-bound behaviour takes no real waiting.
public final class ManualClock: RuntimeClock, Sendable {
  private struct Sleeper {
    var deadline: Double
    var resume: CheckedContinuation<Void, any Error>
  }
  private struct State {
    var now: Double
    var nextId = 0
    var sleepers: [Int: Sleeper] = [:]
    var cancelled = Set<Int>()
  }
  private let state: Mutex<State>

  /// A clock that reads `now` (seconds since 1970) until advanced.
  public init(now: Double) { state = Mutex(State(now: now)) }

  public func now() -> Double { state.withLock { $0.now } }

  public func sleep(until deadline: Double) async throws {
    try Task.checkCancellation()
    let id = state.withLock { s -> Int in
      s.nextId += 1
      return s.nextId
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        let outcome = state.withLock { s -> Bool? in
          if s.cancelled.remove(id) != nil { return false }
          if deadline <= s.now { return true }
          s.sleepers[id] = Sleeper(deadline: deadline, resume: c)
          return nil
        }
        switch outcome {
        case true?: c.resume()
        case false?: c.resume(throwing: CancellationError())
        case nil: break
        }
      }
    } onCancel: {
      let c = state.withLock { s -> CheckedContinuation<Void, any Error>? in
        if let sleeper = s.sleepers.removeValue(forKey: id) { return sleeper.resume }
        s.cancelled.insert(id)
        return nil
      }
      c?.resume(throwing: CancellationError())
    }
  }

  /// Moves the clock to `instant` (never back) and wakes every sleep due by then.
  public func advance(to instant: Double) {
    let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
      s.now = max(s.now, instant)
      let ready = s.sleepers.filter { $0.value.deadline <= s.now }
      for id in ready.keys { s.sleepers[id] = nil }
      return ready.values.map(\.resume)
    }
    for c in due { c.resume() }
  }

  /// Moves the clock `seconds` on.
  public func advance(by seconds: Double) { advance(to: now() + seconds) }

  /// How many sleeps are waiting, and the earliest deadline among them.
  public var sleeping: (count: Int, next: Double?) {
    state.withLock { s in (s.sleepers.count, s.sleepers.values.map(\.deadline).min()) }
  }

  /// Waits in real time (polling, up to `timeout` seconds) until `condition` holds. The time under
  /// test is the manual clock's; the real timeout only bounds a hang, so it is generous: under the
  /// full suite on two cores the watcher's tests once waited more than 10 s for a first reconcile
  /// that takes 0.4 s alone.
  public static func eventually(_ timeout: Double = 30, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if await condition() { return true }
      try? await Task.sleep(nanoseconds: 2_000_000)
    }
    return await condition()
  }

  /// Lets the system under test settle (no sleeper added or woken for `quiet` real seconds), then
  /// moves the clock to the earliest sleep's deadline, never past `limit`. Returns the new time.
  @discardableResult
  public func step(limit: Double = .infinity, quiet: Double = 0.02) async -> Double {
    var last = sleeping
    var stableSince = Date()
    while Date().timeIntervalSince(stableSince) < quiet {
      try? await Task.sleep(nanoseconds: 2_000_000)
      let now = sleeping
      if now.count != last.count || now.next != last.next {
        last = now
        stableSince = Date()
      }
    }
    if let next = last.next { advance(to: min(next, limit)) }
    return self.now()
  }
}

extension ManualClock {
  /// Runs `body`, moving the clock on (`step`) whenever the body waits on it, until the body returns.
  public func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let task = Task {
      let r: Result<T, any Error>
      do { r = .success(try await body()) } catch { r = .failure(error) }
      result.withLock { $0 = r }
    }
    while result.withLock({ $0 == nil }) { await step(quiet: 0.005) }
    await task.value
    return try result.withLock { $0! }.get()
  }
}
