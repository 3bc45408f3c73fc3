import Logging
import PostgresNIO

/// The tables Partyline keeps in PostgreSQL, as numbered migrations. Partyline creates and migrates
/// them itself: every pending migration runs in order inside one transaction, under a transaction
/// advisory lock, so two runners starting at once migrate once and the loser waits, then finds nothing
/// to do. A database migrated by a newer Partyline is refused rather than misread.
public enum PostgresSchema {
  /// One numbered step of the schema.
  public struct Migration: Sendable {
    /// The schema version the migration brings the database to.
    public var version: Int
    /// What the migration adds, in a few words (kept in `partyline_schema_version`).
    public var description: String
    /// The SQL statements, run in order.
    public var statements: [String]
  }

  /// The transaction advisory lock key that serialises migrations.
  static let migrationLockKey = LockKey.hash("partyline:schema-migration")

  /// Every migration, in version order.
  public static let migrations: [Migration] = [
    Migration(
      version: 1, description: "journal and lock holders",
      statements: [
        """
        CREATE TABLE partyline_journal (
          seq bigserial PRIMARY KEY,
          rid uuid NOT NULL UNIQUE,
          workspace text NOT NULL,
          run text NOT NULL,
          id text NOT NULL,
          kind text NOT NULL,
          conversation text NOT NULL,
          at timestamptz NOT NULL,
          record jsonb NOT NULL,
          written_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX partyline_journal_workspace ON partyline_journal (workspace, seq)",
        "CREATE INDEX partyline_journal_conversation ON partyline_journal (conversation, at)",
        "CREATE INDEX partyline_journal_id ON partyline_journal (id, kind)",
        """
        CREATE TABLE partyline_lock_holders (
          lock_key bigint PRIMARY KEY,
          conversation text NOT NULL,
          holder text NOT NULL,
          backend_pid integer NOT NULL,
          since timestamptz NOT NULL DEFAULT now()
        )
        """,
      ]),
    // Which conversations may hold an open lease, so that a run reads those and the calls it acts on
    // rather than the whole journal. Kept by a trigger, so every writer keeps it (an older runner's
    // too); a reader removes a conversation it found without an open lease, only up to the last mute
    // it saw there (a mute written meanwhile keeps it). A superset: never missing an open lease.
    Migration(
      version: 2, description: "conversations that may hold an open lease",
      statements: [
        """
        CREATE TABLE partyline_open_leases (
          workspace text NOT NULL,
          conversation text NOT NULL,
          mute_seq bigint NOT NULL,
          PRIMARY KEY (workspace, conversation)
        )
        """,
        """
        CREATE FUNCTION partyline_note_mute() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.kind = 'intent' AND NEW.record->>'action' = 'mute' THEN
            INSERT INTO partyline_open_leases (workspace, conversation, mute_seq)
              VALUES (NEW.workspace, NEW.conversation, NEW.seq)
              ON CONFLICT (workspace, conversation)
              DO UPDATE SET mute_seq = GREATEST(partyline_open_leases.mute_seq, EXCLUDED.mute_seq);
          END IF;
          RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER partyline_journal_mutes AFTER INSERT ON partyline_journal
          FOR EACH ROW EXECUTE FUNCTION partyline_note_mute()
        """,
        """
        INSERT INTO partyline_open_leases (workspace, conversation, mute_seq)
          SELECT workspace, conversation, max(seq) FROM partyline_journal
          WHERE kind = 'intent' AND record->>'action' = 'mute' GROUP BY workspace, conversation
        """,
      ]),
    // Watchers that survive their machine (DESIGN §4): one leader per workspace, holding a lease timed
    // by this server's clock; each leader has an epoch, and a journal row written with an epoch is
    // refused unless that epoch leads its workspace with a lease still running (fencing). The row lock
    // taken here orders a write against a takeover: the write lands before it or is refused after it.
    // Rows without an epoch (applies, older runners) are not fenced.
    Migration(
      version: 3, description: "watcher leader leases and fenced journal writes",
      statements: [
        "ALTER TABLE partyline_journal ADD COLUMN epoch bigint",
        """
        CREATE TABLE partyline_leaders (
          workspace text PRIMARY KEY,
          holder text NOT NULL,
          instance text NOT NULL,
          epoch bigint NOT NULL,
          since timestamptz NOT NULL DEFAULT now(),
          renewed_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL
        )
        """,
        """
        CREATE FUNCTION partyline_fence() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          leader_epoch bigint;
          lapsed boolean;
        BEGIN
          IF NEW.epoch IS NULL THEN RETURN NEW; END IF;
          SELECT l.epoch, l.expires_at <= now() INTO leader_epoch, lapsed
            FROM partyline_leaders l WHERE l.workspace = NEW.workspace FOR SHARE;
          IF leader_epoch IS NULL OR leader_epoch <> NEW.epoch OR lapsed THEN
            RAISE EXCEPTION 'a journal write of leader epoch % was refused: %', NEW.epoch,
              CASE
                WHEN leader_epoch IS NULL THEN 'nobody leads workspace ' || NEW.workspace
                WHEN leader_epoch <> NEW.epoch THEN 'epoch ' || leader_epoch || ' leads workspace ' || NEW.workspace
                ELSE 'its lease on workspace ' || NEW.workspace || ' lapsed'
              END
              USING ERRCODE = 'PLF01';
          END IF;
          RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER partyline_journal_fence BEFORE INSERT ON partyline_journal
          FOR EACH ROW EXECUTE FUNCTION partyline_fence()
        """,
      ]),
    // A recording pause opens a lease too (`JournalRecord` action `pause`, a lease on the call
    // itself): the index of conversations that may hold one notes pauses as it notes mutes.
    Migration(
      version: 4, description: "recording pauses open leases",
      statements: [
        """
        CREATE OR REPLACE FUNCTION partyline_note_mute() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.kind = 'intent' AND NEW.record->>'action' IN ('mute', 'pause') THEN
            INSERT INTO partyline_open_leases (workspace, conversation, mute_seq)
              VALUES (NEW.workspace, NEW.conversation, NEW.seq)
              ON CONFLICT (workspace, conversation)
              DO UPDATE SET mute_seq = GREATEST(partyline_open_leases.mute_seq, EXCLUDED.mute_seq);
          END IF;
          RETURN NULL;
        END $$
        """
      ]),
  ]

  /// The SQLSTATE of a write refused by the fence.
  public static let fencedState = "PLF01"

  /// The schema version this Partyline knows: that of the last migration.
  public static var latest: Int { migrations.last?.version ?? 0 }

  /// Thrown for a database whose schema version is newer than `latest`.
  public struct TooNew: Error, CustomStringConvertible {
    /// The database's schema version.
    public var found: Int
    public var description: String {
      "the state database has schema version \(found), newer than this partyline knows (\(PostgresSchema.latest)); upgrade partyline"
    }
  }

  /// Brings the schema up to `latest`; returns the versions applied (empty when already current).
  @discardableResult
  static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
    try await connection.withTransaction(logger: logger) { tx in
      try await tx.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
      try await tx.query(
        """
        CREATE TABLE IF NOT EXISTS partyline_schema_version (
          version integer PRIMARY KEY,
          description text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )
        """, logger: logger)
      var current = 0
      for try await v in try await tx.query(
        "SELECT coalesce(max(version), 0)::int8 FROM partyline_schema_version", logger: logger
      ).decode(Int64.self) {
        current = Int(v)
      }
      if current > latest { throw TooNew(found: current) }
      var applied: [Int] = []
      for m in migrations where m.version > current {
        for s in m.statements { try await tx.query(PostgresQuery(unsafeSQL: s), logger: logger) }
        try await tx.query(
          "INSERT INTO partyline_schema_version (version, description) VALUES (\(m.version), \(m.description))",
          logger: logger)
        applied.append(m.version)
      }
      return applied
    }
  }

  /// The schema version without changing anything: 0 when Partyline never wrote to this database.
  static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
    var exists = false
    for try await e in try await connection.query(
      "SELECT to_regclass('partyline_schema_version') IS NOT NULL", logger: logger
    ).decode(Bool.self) {
      exists = e
    }
    guard exists else { return 0 }
    var current = 0
    for try await v in try await connection.query(
      "SELECT coalesce(max(version), 0)::int8 FROM partyline_schema_version", logger: logger
    ).decode(Int64.self) {
      current = Int(v)
    }
    return current
  }
}
