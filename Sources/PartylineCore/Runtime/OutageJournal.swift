import Synchronization
import WireTime

/// The journal as `watch` uses it, so that reverts never wait for the state database (DESIGN §5: an
/// unmute cannot exceed a lease). A read that does not answer within `patience` (the database is gone,
/// or every retry of it is failing) is answered from what was last read, plus what is buffered; the
/// records of reverts, prunes and closes that cannot be written are buffered and written, in order,
/// once the database answers again. Everything else — the intent of a mute or an add — still needs the
/// database: its append fails, so nothing is muted or added without a journal record.
public final class OutageJournal: Journal, Sendable {
  /// The journal it stands in front of.
  public let inner: any Journal
  /// How long a read or an append may take before the last-known state answers instead.
  public let patience: Duration
  private let clock: any RuntimeClock

  private struct State {
    var known: [String: [JournalRecord]] = [:]
    /// By workspace, then conversation: the records and count last read in a slice, and which
    /// conversations the last slice of open leases held.
    var sliced: [String: [String: (records: [JournalRecord], count: Int)]] = [:]
    var openConversations: [String: Set<String>] = [:]
    var counts: [String: Int]? = nil
    var buffered: [JournalRecord] = []
    var outageSince: Double? = nil
    var probing = false
    var probedAt = -Double.infinity
  }
  private let state = Mutex(State())

  /// Stands in front of `inner`, waiting at most `patience` of `clock` for it.
  public init(_ inner: any Journal, patience: Duration = .seconds(1), clock: any RuntimeClock) {
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

  /// `body`'s answer if it comes within `patience`; nil if not (it goes on, unawaited).
  private func within<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async -> Result<
    T, any Error
  >? {
    await answer(body, by: clock.now() + patience.inSeconds, on: clock)
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
          if pending.isEmpty {
            _ = try await inner.recordCount(conversation: "")
          } else {
            try await inner.append(pending)
          }
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
          for r in records {
            // Counted in every workspace's slices; its record (and a mute's open lease) in its own.
            for w in s.sliced.keys where w != r.workspace { s.sliced[w]![r.conversation]?.count += 1 }
            var mine = s.sliced[r.workspace, default: [:]][r.conversation] ?? ([], 0)
            mine.records.append(r)
            mine.count += 1
            s.sliced[r.workspace, default: [:]][r.conversation] = mine
            if r.kind == .intent && r.action == .mute {
              s.openConversations[r.workspace, default: []].insert(r.conversation)
            }
          }
        }
        return
      // A write the database refused because another watcher leads is no outage: nothing is sent.
      case .failure(let error)? where !Self.mayWait(records) || error is Fenced: throw error
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

  /// The slice (see ``Journal/slice(workspace:conversations:open:)``); when the database does not
  /// answer within `patience`, the records last read of those conversations (and, for open leases, of
  /// the conversations that held one), plus what is buffered — unless none was ever read, then it is
  /// waited for.
  public func slice(workspace: String, conversations: Set<String>, open: Bool) async throws -> JournalSlice {
    let everRead = state.withLock { $0.sliced[workspace] != nil }
    if everRead && inOutage() { return lastKnown(workspace, conversations, open) }
    let read: @Sendable () async throws -> JournalSlice = { [inner] in
      try await inner.slice(workspace: workspace, conversations: conversations, open: open)
    }
    let answer: Result<JournalSlice, any Error>?
    if everRead {
      answer = await within(read)
    } else {
      answer = .success(try await read())
    }
    guard case .success(let fresh)? = answer else {
      noteOutage()
      return lastKnown(workspace, conversations, open)
    }
    state.withLock { s in
      var known = s.sliced[workspace] ?? [:]
      if open {
        // Kept: the conversations of open leases and those just asked for (bounded by the live calls).
        let keep = fresh.conversations.union(conversations)
        known = known.filter { keep.contains($0.key) }
        s.openConversations[workspace] = fresh.conversations.subtracting(conversations)
      }
      var byConversation: [String: [JournalRecord]] = [:]
      for r in fresh.records { byConversation[r.conversation, default: []].append(r) }
      for c in fresh.conversations { known[c] = (byConversation[c] ?? [], fresh.counts[c] ?? 0) }
      s.sliced[workspace] = known
    }
    return adding(buffered, to: fresh, workspace: workspace)
  }

  /// The slice from what was last read (see `slice`).
  private func lastKnown(_ workspace: String, _ conversations: Set<String>, _ open: Bool) -> JournalSlice {
    state.withLock { s in
      let known = s.sliced[workspace] ?? [:]
      var wanted = conversations
      if open { wanted.formUnion(s.openConversations[workspace] ?? []) }
      var slice = JournalSlice(conversations: wanted)
      for c in wanted.sorted() {
        slice.records += known[c]?.records ?? []
        slice.counts[c] = known[c]?.count ?? 0
      }
      return adding(s.buffered, to: slice, workspace: workspace)
    }
  }

  /// `slice` with the buffered records of its conversations (and, when they open nothing, none else).
  private func adding(_ buffered: [JournalRecord], to slice: JournalSlice, workspace: String) -> JournalSlice
  {
    var out = slice
    for r in buffered where out.conversations.contains(r.conversation) {
      out.counts[r.conversation, default: 0] += 1
      if r.workspace == workspace { out.records.append(r) }
    }
    return out
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

  /// Records of `conversation`; when the database does not answer, the count last read of it in a
  /// slice (0 when never read), plus what is buffered — as the slices read meanwhile count it, so a
  /// revert under its lock proceeds.
  public func recordCount(conversation: String) async throws -> Int {
    if !inOutage() {
      if case .success(let n)? = await within({ [inner] in
        try await inner.recordCount(conversation: conversation)
      }) {
        return n
      }
      noteOutage()
    }
    return state.withLock { s in
      let known = s.sliced.values.compactMap { $0[conversation]?.count }.max() ?? 0
      return known + s.buffered.filter { $0.conversation == conversation }.count
    }
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
