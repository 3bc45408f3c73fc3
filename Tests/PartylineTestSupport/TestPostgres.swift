public import Foundation
public import Logging
public import PartylineStatePostgres
public import PostgresNIO

/// The PostgreSQL server the tests use (shared by the PostgreSQL and end-to-end test targets): `PARTYLINE_TEST_POSTGRES` (scripts/test starts one). Without
/// it the tests that need a server are skipped, except under CI (`CI=true`), where they fail.
public enum TestPostgres {
  public static var server: String? {
    let v = ProcessInfo.processInfo.environment["PARTYLINE_TEST_POSTGRES"] ?? ""
    return v.isEmpty ? nil : v
  }
  public static var underCI: Bool {
    ["true", "1"].contains(ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? "")
  }
  /// Run the test when there is a server, and under CI always (to fail without one).
  public static var runnable: Bool { server != nil || underCI }
  public static let skipNote =
    "needs PostgreSQL: set PARTYLINE_TEST_POSTGRES=postgres://user@host:port/db (scripts/test starts one)"

  public struct Missing: Error, CustomStringConvertible {
    public var description: String {
      "PARTYLINE_TEST_POSTGRES is not set: scripts/test (which .ci/run calls) starts a PostgreSQL for these tests"
    }
  }

  public static func require() throws -> String {
    guard let server else { throw Missing() }
    return server
  }

  public static let logger = Logger(label: "partyline.tests.postgres")

  public static func connect(_ url: String) async throws -> PostgresConnection {
    let u = try PostgresURL(url)
    let config = PostgresConnection.Configuration(
      host: u.host, port: u.port, username: u.user, password: u.password, database: u.database, tls: .disable)
    return try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
  }

  /// A new, empty database on the server; its URL.
  public static func freshDatabase(_ label: String) async throws -> String {
    let server = try require()
    let name = "partyline_\(label)_\(getpid())_\(Int.random(in: 0..<1_000_000))"
    let admin = try await connect(server)
    do {
      try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
      try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
    } catch {
      try? await admin.close()
      throw error
    }
    try await admin.close()
    var c = URLComponents(string: server)!
    c.path = "/" + name
    return c.string!
  }

  /// One text column of a query's rows.
  public static func strings(_ url: String, _ sql: String) async throws -> [String] {
    let c = try await connect(url)
    do {
      var out: [String] = []
      for try await s in try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self)
      {
        out.append(s)
      }
      try? await c.close()
      return out
    } catch {
      try? await c.close()
      throw error
    }
  }
}
