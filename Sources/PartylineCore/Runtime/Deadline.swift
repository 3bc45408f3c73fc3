import Synchronization

/// `body`'s answer if it comes by `deadline` (seconds since 1970 on `clock`) and before `stop` stops,
/// else nil: `body` goes on, unawaited, and its late answer is dropped. For what must not wait on a
/// database or a lease that may hang (a half-open connection answers nothing, and closes nothing).
func answer<T: Sendable>(
  _ body: @escaping @Sendable () async throws -> T, by deadline: Double, on clock: any RuntimeClock,
  unless stop: RunSignal? = nil
) async -> Result<T, any Error>? {
  let once = Once()
  return await withCheckedContinuation { (c: CheckedContinuation<Result<T, any Error>?, Never>) in
    Task {
      let r: Result<T, any Error>
      do { r = .success(try await body()) } catch { r = .failure(error) }
      if once.claim() { c.resume(returning: r) }
    }
    Task {
      if let stop {
        await stop.sleep(until: deadline, on: clock)
      } else {
        try? await clock.sleep(until: deadline)
      }
      if once.claim() { c.resume(returning: nil) }
    }
  }
}

/// A race's finish line: only the first to claim it wins.
final class Once: Sendable {
  private let done = Mutex<Bool>(false)
  init() {}
  /// True for the first caller only.
  func claim() -> Bool {
    done.withLock { d in
      defer { d = true }; return !d
    }
  }
}
