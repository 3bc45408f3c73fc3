import Foundation
import Loopback

/// Where and as whom to talk to Genesys Cloud.
public struct GenesysConfiguration: Sendable {
  /// `https://api.mypurecloud.ie`, or an emulator such as `http://127.0.0.1:8080`.
  public var apiBase: String
  /// Token endpoint base: the API host with `api.` replaced by `login.`, or the same host.
  public var loginBase: String
  /// The OAuth client id, for the client-credentials grant.
  public var clientId: String?
  /// The OAuth client secret, for the client-credentials grant.
  public var clientSecret: Secret?
  /// A token minted elsewhere (`GENESYSCLOUD_ACCESS_TOKEN`).
  public var accessToken: Secret?

  /// A configuration for `apiBase` (https, or http on loopback only; without credentials, query or fragment;
  /// any path is dropped) and either an access token or a client id and secret. Throws
  /// `GenesysError.configuration` when the URL or the credentials cannot work.
  public init(
    apiBase: String, clientId: String? = nil, clientSecret: Secret? = nil, accessToken: Secret? = nil
  ) throws {
    guard let url = URLComponents(string: apiBase), let scheme = url.scheme?.lowercased(),
      let host = url.host,
      !host.isEmpty
    else {
      throw GenesysError.configuration("invalid API URL '\(Self.redactURL(apiBase))'")
    }
    guard scheme == "https" || scheme == "http" else {
      throw GenesysError.configuration(
        "unsupported scheme '\(scheme)' in the API URL: use https (or http on loopback, for an emulator)")
    }
    guard scheme == "https" || Loopback.contains(host) else {
      throw GenesysError.configuration(
        "refusing plain http to '\(host)': http is allowed only on loopback (127.0.0.1, ::1, localhost); use https"
      )
    }
    guard url.user == nil, url.password == nil, url.query == nil, url.fragment == nil else {
      throw GenesysError.configuration("the API URL must not carry credentials, a query or a fragment")
    }
    var base = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)"
    if let port = url.port { base += ":\(port)" }
    self.apiBase = base
    let loginHost = host.hasPrefix("api.") ? "login." + host.dropFirst(4) : host
    var login = "\(scheme)://\(loginHost.contains(":") ? "[\(loginHost)]" : String(loginHost))"
    if let port = url.port { login += ":\(port)" }
    self.loginBase = login
    self.clientId = clientId
    self.clientSecret = clientSecret
    self.accessToken = accessToken
    if accessToken == nil && (clientId?.isEmpty ?? true || clientSecret?.value.isEmpty ?? true) {
      throw GenesysError.configuration(
        "no credentials: set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET, or GENESYSCLOUD_ACCESS_TOKEN (or use --sandbox)"
      )
    }
  }

  /// From the variables the Genesys tools use: `GENESYSCLOUD_OAUTHCLIENT_ID`, `…_SECRET`,
  /// `GENESYSCLOUD_REGION`, `GENESYSCLOUD_ACCESS_TOKEN`, `GENESYSCLOUD_API_URL`.
  public static func fromEnvironment(_ env: [String: String]) throws -> GenesysConfiguration {
    func value(_ k: String) -> String? { env[k].flatMap { $0.isEmpty ? nil : $0 } }
    var api = value("GENESYSCLOUD_API_URL")
    if api == nil {
      if let name = value("GENESYSCLOUD_REGION") {
        guard let region = Region.named(name) else {
          throw GenesysError.configuration(
            "unknown GENESYSCLOUD_REGION '\(name)': use a region such as eu-west-1 or a domain such as mypurecloud.ie"
          )
        }
        api = region.apiBase
      } else {
        api = Region.all[0].apiBase
      }
    }
    return try GenesysConfiguration(
      apiBase: api!, clientId: value("GENESYSCLOUD_OAUTHCLIENT_ID"),
      clientSecret: value("GENESYSCLOUD_OAUTHCLIENT_SECRET").map(Secret.init),
      accessToken: value("GENESYSCLOUD_ACCESS_TOKEN").map(Secret.init))
  }

  /// Why the notification socket URL an answer of the API names may not be dialled (nil: it may):
  /// the REST client's rules hold for it too — `wss`, or plain `ws` to loopback only (an emulator);
  /// no credentials in it.
  public static func socketURLProblem(_ text: String) -> String? {
    guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host,
      !host.isEmpty
    else { return "the notification channel's connectUri is not a URL" }
    guard scheme == "wss" || (scheme == "ws" && Loopback.contains(host)) else {
      return
        "refusing the notification channel's connectUri: \(scheme == "ws" ? "plain ws off loopback" : "scheme '\(scheme)'"); only wss is dialled"
    }
    guard url.user == nil, url.password == nil else {
      return "refusing the notification channel's connectUri: it carries credentials"
    }
    return nil
  }

  /// A URL with any user info removed, for messages.
  static func redactURL(_ s: String) -> String {
    guard var c = URLComponents(string: s) else { return "<unparseable>" }
    if c.password != nil { c.password = "redacted" }
    return c.string ?? "<unparseable>"
  }
}
