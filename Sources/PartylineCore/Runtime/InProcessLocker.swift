import WireTime
/// Serialises, within one process, the runs that share a locker: `watch` reverts on time while its
/// full reconcile is in flight, and the backends' locks are per process (a PostgreSQL session's
/// advisory locks are re-entrant; a lock file is not, but this waits without polling). A conversation
/// is held here first, then through the backend, and the wait for both is one: what the wait here
/// took (on `clock`) is taken from what the backend may wait.
public final class InProcessLocker: ConversationLocker {
  private let inner: any ConversationLocker
  private let gate: Gate
  private let clock: any RuntimeClock

  /// Serialises `inner`'s locks within the process; waits are measured on `clock`.
  public init(_ inner: any ConversationLocker, clock: any RuntimeClock) {
    self.inner = inner
    self.gate = Gate()
    self.clock = clock
  }

  actor Gate {
    private var held: Set<String> = []
    private var waiters: [String: [(id: Int, resume: CheckedContinuation<Bool, Never>)]] = [:]
    private var nextId = 0

    /// True when acquired; false when `timeout` passed first.
    func acquire(_ key: String, timeout: Duration, clock: any RuntimeClock) async -> Bool {
      if held.insert(key).inserted { return true }
      nextId += 1
      let id = nextId
      let deadline = Task { [weak self] in
        guard (try? await clock.sleep(for: timeout)) != nil else { return }
        await self?.expire(key, id)
      }
      let got = await withCheckedContinuation { c in waiters[key, default: []].append((id, c)) }
      deadline.cancel()
      return got
    }

    private func expire(_ key: String, _ id: Int) {
      guard let i = waiters[key]?.firstIndex(where: { $0.id == id }) else { return }
      let w = waiters[key]!.remove(at: i)
      w.resume.resume(returning: false)
    }

    /// Whether another task of this process holds `key` now.
    func isHeld(_ key: String) -> Bool { held.contains(key) }

    func release(_ key: String) {
      if var queue = waiters[key], !queue.isEmpty {
        let next = queue.removeFirst()
        waiters[key] = queue.isEmpty ? nil : queue
        next.resume.resume(returning: true)  // handed over: stays held
      } else {
        held.remove(key)
      }
    }
  }

  struct Held: ConversationLock {
    let inner: any ConversationLock
    let gate: Gate
    let key: String
    func release() async {
      await inner.release()
      await gate.release(key)
    }
  }

  struct Joined: ConversationLock {
    func release() async {}
  }

  /// For `watch`'s on-time reverts: when another reconcile of this process holds the conversation
  /// (its lock, file or PostgreSQL session, is this process's), join it instead of waiting for it to
  /// finish — a revert is due now, and it touches only the participant whose lease ended. Otherwise
  /// lock as usual.
  ///
  /// When the shared lock cannot be had because the state is unreachable (any failure but a
  /// `LockTimeout`: the database is gone), the revert goes on under the in-process lock alone: an
  /// unmute is safe to make twice, and it must not wait for the database (DESIGN §5).
  public func lockOrJoin(_ conversation: String, within wait: Duration) async throws -> any ConversationLock {
    if await gate.isHeld(conversation) { return Joined() }
    let left = try await enter(conversation, within: wait)
    do {
      return Held(inner: try await inner.lock(conversation, within: left), gate: gate, key: conversation)
    } catch var error as LockTimeout {
      await gate.release(conversation)
      error.waited += wait - left  // the whole wait, not the backend's share
      throw error
    } catch {
      return Held(inner: Joined(), gate: gate, key: conversation)
    }
  }

  /// Waits for the conversation within the process, then takes `inner`'s lock with what is left of
  /// `wait`; throws `LockTimeout` when the wait runs out.
  public func lock(_ conversation: String, within wait: Duration) async throws -> any ConversationLock {
    let left = try await enter(conversation, within: wait)
    do {
      return Held(inner: try await inner.lock(conversation, within: left), gate: gate, key: conversation)
    } catch var error as LockTimeout {
      await gate.release(conversation)
      error.waited += wait - left  // the whole wait, not the backend's share
      throw error
    } catch {
      await gate.release(conversation)
      throw error
    }
  }

  /// Holds the conversation within the process, waiting up to `wait`; returns what is left of it.
  private func enter(_ conversation: String, within wait: Duration) async throws -> Duration {
    let start = clock.now()
    guard await gate.acquire(conversation, timeout: wait, clock: clock) else {
      throw LockTimeout(conversation: conversation, holder: "another reconcile of this process", waited: wait)
    }
    return max(.zero, wait - .between(start, clock.now()))
  }
}
