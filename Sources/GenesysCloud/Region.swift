import Foundation
/// Genesys Cloud regions: the SDK enum names, their AWS spelling, and the domain behind `api.` and
/// `login.` (docs/genesys-api.md §1; identical in the Go and Python SDKs).
public struct Region: Sendable, Hashable {
  /// The SDK's name for the region, with underscores (`eu_west_1`).
  public var name: String
  /// The region's domain (`mypurecloud.ie`).
  public var domain: String

  /// The API base URL: `https://api.` and the domain.
  public var apiBase: String { "https://api.\(domain)" }
  /// The login (OAuth) base URL: `https://login.` and the domain.
  public var loginBase: String { "https://login.\(domain)" }

  /// Every known region; the first, `us_east_1`, is the default when none is named.
  public static let all: [Region] = [
    Region(name: "us_east_1", domain: "mypurecloud.com"),
    Region(name: "eu_west_1", domain: "mypurecloud.ie"),
    Region(name: "ap_southeast_2", domain: "mypurecloud.com.au"),
    Region(name: "ap_northeast_1", domain: "mypurecloud.jp"),
    Region(name: "eu_central_1", domain: "mypurecloud.de"),
    Region(name: "us_west_2", domain: "usw2.pure.cloud"),
    Region(name: "ca_central_1", domain: "cac1.pure.cloud"),
    Region(name: "ap_northeast_2", domain: "apne2.pure.cloud"),
    Region(name: "eu_west_2", domain: "euw2.pure.cloud"),
    Region(name: "ap_south_1", domain: "aps1.pure.cloud"),
    Region(name: "us_east_2", domain: "use2.us-gov-pure.cloud"),
    Region(name: "sa_east_1", domain: "sae1.pure.cloud"),
    Region(name: "me_central_1", domain: "mec1.pure.cloud"),
    Region(name: "ap_northeast_3", domain: "apne3.pure.cloud"),
    Region(name: "eu_central_2", domain: "euc2.pure.cloud"),
    Region(name: "mx_central_1", domain: "mxc1.pure.cloud"),
    Region(name: "ap_southeast_1", domain: "apse1.pure.cloud"),
  ]

  /// A region by name in either spelling (`eu-west-1`, `eu_west_1`) or by domain (`mypurecloud.ie`,
  /// also `api.mypurecloud.ie`).
  public static func named(_ text: String) -> Region? {
    let t = text.trimmingCharacters(in: .whitespaces).lowercased()
    let underscored = t.replacingOccurrences(of: "-", with: "_")
    if let r = all.first(where: { $0.name == underscored }) { return r }
    var domain = t
    for prefix in ["https://", "api.", "login."] where domain.hasPrefix(prefix) {
      domain.removeFirst(prefix.count)
    }
    while domain.hasSuffix("/") { domain.removeLast() }
    return all.first { $0.domain == domain }
  }
}
