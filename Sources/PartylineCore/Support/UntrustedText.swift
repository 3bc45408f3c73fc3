/// Text that comes from outside — the API's caller ids, SIP display names, user and queue names, and
/// the ids beside them — is made safe where it enters the model (``LiveParticipant``, ``LiveUser``),
/// so no view can forget: every control character (C0, tab and newline included, DEL, C1) and every
/// bidirectional-formatting character is shown as an escape (`\x1B`, `\u202E`). Such text cannot move
/// the cursor, rewrite a line, set a terminal's title or reorder what a reviewer reads (DESIGN §5,
/// untrusted text). Markdown escaping is the Markdown view's (`MarkdownText`).
public enum UntrustedText {
  /// `text` with its unsafe characters shown as escapes; text without any is returned as it is.
  public static func clean(_ text: String) -> String {
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
    var out = String.UnicodeScalarView()
    for u in text.unicodeScalars {
      guard isUnsafe(u) else {
        out.append(u)
        continue
      }
      let digits = u.value < 0x100 ? 2 : 4
      let hex = String(u.value, radix: 16, uppercase: true)
      let escape =
        (u.value < 0x100 ? "\\x" : "\\u") + String(repeating: "0", count: max(0, digits - hex.count)) + hex
      out.append(contentsOf: escape.unicodeScalars)
    }
    return String(out)
  }

  /// `text`, cleaned, when there is one.
  public static func clean(_ text: String?) -> String? { text.map { clean($0) } }

  /// Controls and the characters that reorder text (the bidi marks, embeddings, overrides, isolates).
  static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0..<0x20, 0x7F...0x9F: true
    case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
  }
}
