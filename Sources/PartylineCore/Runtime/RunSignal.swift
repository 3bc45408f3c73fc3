import Synchronization

/// The stop of a run and the wake-ups of its loops. `stop()` (SIGINT or SIGTERM, through whoever
/// listens for them) ends every sleep at once and the run sends nothing new; `wake()` ends the sleeps
/// that asked for it (new leases, a gap in the events). Sleeps are on the run's clock.
public final class RunSignal: Sendable {
  private struct State {
    var stopped = false
    var generation = 0
    var nextId = 0
    var waiters: [Int: (wakeable: Bool, resume: CheckedContinuation<Void, Never>)] = [:]
    var cancelled = Set<Int>()
    var onStop: [@Sendable () -> Void] = []
  }
  private let state = Mutex(State())

  /// A signal not yet given.
  public init() {}

  /// How long a run may take to stop after the signal: then what is still in flight is abandoned (and
  /// journalled as of unknown outcome), so it exits within 5 s.
  public static let grace: Duration = .seconds(4)

  /// Whether the run was told to stop.
  public var stopped: Bool { state.withLock { $0.stopped } }

  /// Runs once, when the stop comes (or at once when it already came): the run sends nothing new
  /// from then on. Every hook given runs, in the order given.
  public func onStop(_ hook: @escaping @Sendable () -> Void) {
    let now = state.withLock { s -> Bool in
      if s.stopped { return true }
      s.onStop.append(hook)
      return false
    }
    if now { hook() }
  }

  /// Tells the run to stop: every sleep ends.
  public func stop() {
    let (all, hooks) = state.withLock { s -> ([CheckedContinuation<Void, Never>], [@Sendable () -> Void]) in
      let first = !s.stopped
      s.stopped = true
      let all = s.waiters.values.map(\.resume)
      s.waiters = [:]
      defer { s.onStop = [] }
      return (all, first ? s.onStop : [])
    }
    for hook in hooks { hook() }
    for w in all { w.resume() }
  }

  /// Ends the sleeps that asked to be woken (`wakeable`); the others sleep on.
  public func wake() {
    let all = state.withLock { s -> [CheckedContinuation<Void, Never>] in
      s.generation += 1
      let woken = s.waiters.filter { $0.value.wakeable }
      for id in woken.keys { s.waiters[id] = nil }
      return woken.values.map(\.resume)
    }
    for w in all { w.resume() }
  }

  /// Returns when the stop has come, or at once when the task is cancelled.
  public func waitStopped() async { await wait(wakeable: false, since: nil) }

  /// Sleeps on `clock` until `deadline` (seconds since 1970) or the stop, whichever comes first; a
  /// `wakeable` sleep also ends at `wake()`.
  public func sleep(until deadline: Double, on clock: any RuntimeClock, wakeable: Bool = false) async {
    let start = state.withLock { $0.generation }
    if stopped || clock.now() >= deadline { return }
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await clock.sleep(until: deadline) }
      group.addTask { await self.wait(wakeable: wakeable, since: wakeable ? start : nil) }
      await group.next()
      group.cancelAll()
    }
  }

  /// Waits for the stop (or, when `since` is a generation, a wake after it), or the task's cancellation.
  private func wait(wakeable: Bool, since: Int?) async {
    let id = state.withLock { s -> Int in
      s.nextId += 1
      return s.nextId
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let now = state.withLock { s -> Bool in
          if s.stopped || s.cancelled.remove(id) != nil { return true }
          if let since, s.generation != since { return true }
          s.waiters[id] = (wakeable, c)
          return false
        }
        if now { c.resume() }
      }
    } onCancel: {
      let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
        if let w = s.waiters.removeValue(forKey: id) { return w.resume }
        s.cancelled.insert(id)
        return nil
      }
      c?.resume()
    }
  }

  /// Runs `operation`; once the stop has come it gets `grace` of `clock`, then it is cancelled
  /// (what is in flight is abandoned and journalled as of unknown outcome).
  public func guarding<T: Sendable>(
    grace: Duration, on clock: any RuntimeClock, _ operation: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask { try await operation() }
      group.addTask {
        await self.waitStopped()
        try? await clock.sleep(for: grace)
        return nil
      }
      while let next = try await group.next() {
        group.cancelAll()
        if let value = next { return value }
      }
      throw CancellationError()
    }
  }
}
