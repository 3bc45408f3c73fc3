import Foundation
import Synchronization

/// The journal as `watch` uses it, so that reverts never wait for the state database (DESIGN §5: an
/// unmute cannot exceed a lease). A read that does not answer within `patience` (the database is gone,
/// or every retry of it is failing) is answered from what was last read, plus what is buffered; the
/// records of reverts, prunes and closes that cannot be written are buffered and written, in order,
/// once the database answers again. Everything else — the intent of a mute or an add — still needs the
/// database: its append fails, so nothing is muted or added without a journal record.
public final class OutageJournal: Journal, Sendable {
  /// The journal it stands in front of.
  public let inner: any Journal
  /// How long a read or an append may take before the last-known state answers instead, in seconds.
  public let patience: Double
  private let clock: any RuntimeClock

  private struct State {
    var known: [String: [JournalRecord]] = [:]
    var counts: [String: Int]? = nil
    var buffered: [JournalRecord] = []
    var outageSince: Double? = nil
    var probing = false
    var probedAt = -Double.infinity
  }
  private let state = Mutex(State())

  /// Stands in front of `inner`, waiting at most `patience` seconds of `clock` for it.
  public init(_ inner: any Journal, patience: Double = 1, clock: any RuntimeClock) {
    self.inner = inner
    self.patience = patience
    self.clock = clock
  }

  /// Whether the database is unreachable now (a read or an append did not answer), and since when.
  public var outageSince: Double? { state.withLock { $0.outageSince } }

  /// Records written while the database was gone, not yet written to it.
  public var buffered: [JournalRecord] { state.withLock { $0.buffered } }

  /// Whether every record may wait for the database: it only takes a mute back (a revert, a prune, a
  /// close), so writing it late loses no promise.
  static func mayWait(_ records: [JournalRecord]) -> Bool {
    records.allSatisfy { $0.kind == .close || $0.action == .revert || $0.action == .prune }
  }

  /// `body`'s answer if it comes within `patience`; nil if not (it goes on, unawaited) or if it failed.
  private func within<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async -> Result<
    T, any Error
  >? {
    let once = Once()
    return await withCheckedContinuation { (c: CheckedContinuation<Result<T, any Error>?, Never>) in
      Task {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        if once.claim() { c.resume(returning: r) }
      }
      Task { [clock, patience] in
        try? await clock.sleep(for: patience)
        if once.claim() { c.resume(returning: nil) }
      }
    }
  }

  /// Whether an outage is known now; if so, a probe of the database is started (at most one at a
  /// time, at most one a second), which writes what was buffered and ends the outage when it answers.
  private func inOutage() -> Bool {
    let now = clock.now()
    let start = state.withLock { s -> Bool in
      guard s.outageSince != nil else { return false }
      guard !s.probing, now - s.probedAt >= 1 else { return false }
      s.probing = true
      s.probedAt = now
      return true
    }
    if start {
      Task { [self] in
        let pending = state.withLock { $0.buffered }
        var ok: Bool
        do {
          if pending.isEmpty { _ = try await inner.recordCounts() } else { try await inner.append(pending) }
          ok = true
        } catch { ok = false }
        if ok { written(pending.count) }
        state.withLock { $0.probing = false }
      }
    }
    return state.withLock { $0.outageSince != nil }
  }

  private func noteOutage() {
    let now = clock.now()
    state.withLock { if $0.outageSince == nil { $0.outageSince = now } }
  }

  /// Appends through the database; when it does not answer, records that may wait are buffered (and
  /// read back by this process), others fail.
  public func append(_ records: [JournalRecord]) async throws {
    if !inOutage() {
      switch await within({ [inner] in try await inner.append(records) }) {
      case .success?:
        // What this process wrote is part of what it knows, until the next read says it all again.
        state.withLock { s in
          for r in records where s.known[r.workspace] != nil { s.known[r.workspace]!.append(r) }
        }
        return
      case .failure(let error)? where !Self.mayWait(records): throw error
      default: noteOutage()
      }
    }
    guard Self.mayWait(records) else {
      throw StateUnreachable(
        "the state database does not answer: a mute or an add waits for it (reverts go on without it)")
    }
    state.withLock { $0.buffered += records }
  }

  /// The records of `workspace`; the last ones read (and those buffered) when the database does not
  /// answer within `patience` — unless none was ever read, then it is waited for.
  public func records(workspace: String) async throws -> [JournalRecord] {
    let known = state.withLock { $0.known[workspace] }
    if let known, inOutage() { return known + buffered.filter { $0.workspace == workspace } }
    guard let known else {
      let fresh = try await inner.records(workspace: workspace)
      state.withLock { $0.known[workspace] = fresh }
      return fresh + buffered.filter { $0.workspace == workspace }
    }
    switch await within({ [inner] in try await inner.records(workspace: workspace) }) {
    case .success(let fresh)?:
      state.withLock { $0.known[workspace] = fresh }
      return fresh + buffered.filter { $0.workspace == workspace }
    default:
      noteOutage()
      return known + buffered.filter { $0.workspace == workspace }
    }
  }

  /// Records per conversation; the last counts read (and those buffered) when the database does not
  /// answer.
  public func recordCounts() async throws -> [String: Int] {
    let known = state.withLock { $0.counts }
    guard let known else {
      let fresh = try await inner.recordCounts()
      state.withLock { $0.counts = fresh }
      return fresh
    }
    if !inOutage() {
      if case .success(let fresh)? = await within({ [inner] in try await inner.recordCounts() }) {
        state.withLock { $0.counts = fresh }
        return fresh
      }
      noteOutage()
    }
    var counts = known
    for r in buffered { counts[r.conversation, default: 0] += 1 }
    return counts
  }

  /// Records of `conversation`; from the last counts (and those buffered) when the database does not
  /// answer.
  public func recordCount(conversation: String) async throws -> Int {
    if state.withLock({ $0.counts == nil }) || !inOutage() {
      if case .success(let n)? = await within({ [inner] in
        try await inner.recordCount(conversation: conversation)
      }) {
        return n
      }
      noteOutage()
    }
    return (try await recordCounts())[conversation] ?? 0
  }

  /// Writes what is buffered, waiting up to `patience` for the database; returns how many records are
  /// still unwritten.
  public func flushBuffered() async -> Int {
    let pending = buffered
    guard !pending.isEmpty else { return 0 }
    if case .success? = await within({ [inner] in try await inner.append(pending) }) {
      written(pending.count)
    }
    return buffered.count
  }

  /// The first `count` buffered records reached the database; with none left, the outage is over.
  private func written(_ count: Int) {
    state.withLock {
      $0.buffered.removeFirst(min(count, $0.buffered.count))
      if $0.buffered.isEmpty { $0.outageSince = nil }
    }
  }

  /// The inner journal's unreadable records.
  public func unreadable() async -> [UnreadableRecord] { await inner.unreadable() }

  /// Compacts the inner journal (it needs the database).
  public func compact(cutoff: Double) async throws -> CompactionReport {
    try await inner.compact(cutoff: cutoff)
  }
}

/// The state database does not answer: what needs it (a mute, an add) waits; reverts go on.
public struct StateUnreachable: Error, CustomStringConvertible {
  /// The error's text.
  public var description: String
  /// An error saying `description`.
  public init(_ description: String) { self.description = description }
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
