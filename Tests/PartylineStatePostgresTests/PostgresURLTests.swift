import PartylineStatePostgres
import Testing

struct PostgresURLTests {
  @Test func parsesAndNeverShowsThePassword() throws {
    let u = try PostgresURL(
      "postgres://runner:s3cr%40t@db.example.com:6543/partyline?sslmode=require", environment: [:])
    #expect(u.host == "db.example.com")
    #expect(u.port == 6543)
    #expect(u.user == "runner")
    #expect(u.password == "s3cr@t")
    #expect(u.database == "partyline")
    #expect(u.tls == .require)
    #expect(u.description == "postgres://runner:***@db.example.com:6543/partyline?sslmode=require")
    #expect(!u.description.contains("s3cr"))
    #expect(u.redact("auth failed for s3cr@t and s3cr%40t") == "auth failed for *** and ***")
  }

  @Test func defaultsAndEnvironment() throws {
    let u = try PostgresURL("postgresql://127.0.0.1/", environment: ["PGPASSWORD": "pw", "PGUSER": "ci"])
    #expect(u.port == 5432)
    #expect(u.user == "ci")
    #expect(u.database == "ci")
    #expect(u.password == "pw")
    #expect(u.tls == .prefer)
    #expect(u.description == "postgres://ci:***@127.0.0.1:5432/ci")
  }

  @Test(arguments: [
    "postgres://", "postgres://host/db?sslmode=sometimes", "postgres://host/db?colour=blue",
    "postgres://u:hunter2@/db", "postgres:/bob:hunter2@db/prod", "postgresql:u:hunter2@h/db",
    "postgres-state", "POSTGRES//u:hunter2@h/db",
  ])
  func invalidURLsAreRefusedWithoutQuotingThem(_ text: String) {
    #expect(PostgresURL.isPostgres(text), "a value that begins 'postgres' is never taken for a directory")
    #expect(throws: PostgresURL.Invalid.self) { try PostgresURL(text, environment: [:]) }
    do {
      _ = try PostgresURL(text, environment: [:])
    } catch {
      #expect(!"\(error)".contains("hunter2"))
    }
  }

  /// Off loopback the server's certificate is checked unless the URL says otherwise.
  @Test func offLoopbackTheDefaultIsVerifyFull() throws {
    #expect(try PostgresURL("postgres://db.example.com/x", environment: [:]).tls == .verifyFull)
    #expect(
      try PostgresURL("postgres://db.example.com/x", environment: [:]).description
        == "postgres://postgres@db.example.com:5432/x")
    #expect(try PostgresURL("postgres://db.example.com/x?sslmode=require", environment: [:]).tls == .require)
    #expect(try PostgresURL("postgres://10.0.0.5/x?sslmode=disable", environment: [:]).tls == .disable)
    #expect(try PostgresURL("postgres://localhost/x", environment: [:]).tls == .prefer)
    #expect(try PostgresURL("postgres://127.0.0.1:5433/x", environment: [:]).tls == .prefer)
    #expect(try PostgresURL("postgres://[::1]/x", environment: [:]).tls == .prefer)
    #expect(!PostgresURL.isPostgres("./postgres-state"))
  }
}
