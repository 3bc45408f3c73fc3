import Foundation
import PartylineTestSupport

/// Replaces what changes from run to run (timestamps, emulator ports) so golden files stay stable.
func normalise(_ s: String) -> String {
  var out = s
  let patterns = [
    (#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z"#, "<time>"),
    (#"next at \d{2}:\d{2}Z"#, "next at <hh:mm>Z"),
    (#"127\.0\.0\.1:\d+"#, "127.0.0.1:<port>"),
    (#"[0-9a-f]{64}"#, "<sha256>"),
    (#"policy set [0-9a-f]{12}"#, "policy set <digest>"),
    (#""planId": "[0-9a-f-]{36}""#, #""planId": "<plan id>""#),
    (#"Saved plan `?[0-9a-f-]{36}`?"#, "Saved plan <plan id>"),
  ]
  for (p, r) in patterns {
    out = out.replacingOccurrences(of: p, with: r, options: .regularExpression)
  }
  return out
}
