public import Foundation
import Loopback

/// A `postgres://user:password@host:port/database?sslmode=…` connection string, parsed. Its
/// `description` never shows the password, and `redact(_:)` removes it from any other text, so an
/// error or a log line built from a driver message cannot leak it either.
public struct PostgresURL: Sendable, CustomStringConvertible {
  /// libpq's `sslmode`: `require` encrypts without checking the certificate, `verify-full` checks it.
  public enum TLSMode: String, Sendable { case disable, prefer, require, verifyFull = "verify-full" }

  /// The server's host name or address.
  public var host: String
  /// The server's port (5432 unless the URL says otherwise).
  public var port: Int
  /// The user name: from the URL, else `PGUSER`, else `postgres`.
  public var user: String
  /// The password: from the URL, else `PGPASSWORD`; nil when there is none.
  public var password: String?
  /// The database name; the user name when the URL names none.
  public var database: String
  /// Whether and how the connection is encrypted (`sslmode`; by default `prefer` on loopback and
  /// `verify-full` elsewhere).
  public var tls: TLSMode
  /// `?search_path=…`: sent at connection start, so several states can share one database.
  public var searchPath: String?

  /// Whether a `--state` value names PostgreSQL rather than a directory: every value that begins
  /// `postgres` does, so a mistyped URL (`postgres:/u:PW@db/prod`) is an error rather than a directory
  /// named after it, password and all (DESIGN §5). A directory of such a name is `./postgres…`.
  public static func isPostgres(_ state: String) -> Bool {
    state.lowercased().hasPrefix("postgres")
  }

  /// The `sslmode` when the URL gives none: `prefer` on loopback, else `verify-full` (the journal
  /// decides which mutes get reverted: its server is checked).
  public static func defaultTLS(host: String) -> TLSMode {
    host.hasPrefix("/") || Loopback.contains(host) ? .prefer : .verifyFull  // "/": a Unix socket's directory
  }

  /// Thrown for a state URL that cannot be used; the message never quotes the URL.
  public struct Invalid: Error, CustomStringConvertible {
    /// What is wrong with the URL.
    public var reason: String
    public var description: String {
      "invalid PostgreSQL state URL (\(reason)); expected postgres://user:password@host:port/database"
    }
  }

  /// Parses the URL; `PGPASSWORD` supplies the password when the URL has none. Errors never quote the
  /// URL, which may hold a password.
  public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    let scheme = text.prefix { $0 != ":" }.lowercased()
    guard Self.isPostgres(text), scheme == "postgres" || scheme == "postgresql",
      text.dropFirst(scheme.count).hasPrefix("://"), let c = URLComponents(string: text)
    else {
      throw Invalid(
        reason:
          "a --state value that begins 'postgres' must be a URL postgres://…; for a directory of that name write ./…"
      )
    }
    guard let host = c.host, !host.isEmpty else { throw Invalid(reason: "no host") }
    self.host = host
    port = c.port ?? 5432
    user = c.percentEncodedUser?.removingPercentEncoding ?? environment["PGUSER"] ?? "postgres"
    password = c.percentEncodedPassword?.removingPercentEncoding ?? environment["PGPASSWORD"]
    if password == "" { password = nil }
    let path = c.percentEncodedPath.removingPercentEncoding ?? ""
    database = path.hasPrefix("/") ? String(path.dropFirst()) : path
    if database.isEmpty { database = user }
    guard !database.contains("/") else { throw Invalid(reason: "the database name has a '/'") }
    tls = Self.defaultTLS(host: host)
    for item in c.queryItems ?? [] {
      switch item.name {
      case "sslmode":
        switch item.value ?? "" {
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require": tls = .require
        case "verify-ca", "verify-full": tls = .verifyFull
        default: throw Invalid(reason: "unknown sslmode '\(item.value ?? "")'")
        }
      case "search_path": searchPath = item.value
      default: throw Invalid(reason: "unknown parameter '\(item.name)'")
      }
    }
  }

  /// The URL with the password replaced by `***`.
  public var description: String {
    var s = "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    var query: [String] = []
    if tls != Self.defaultTLS(host: host) { query.append("sslmode=\(tls.rawValue)") }
    if let searchPath { query.append("search_path=\(searchPath)") }
    if !query.isEmpty { s += "?" + query.joined(separator: "&") }
    return s
  }

  /// `text` with every occurrence of the password (plain and percent-encoded) replaced by `***`.
  public func redact(_ text: String) -> String {
    guard let password, !password.isEmpty else { return text }
    var out = text.replacingOccurrences(of: password, with: "***")
    if let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics),
      encoded != password
    {
      out = out.replacingOccurrences(of: encoded, with: "***")
    }
    return out
  }
}
