import Foundation
import PartylineCore

/// Text placed in a Markdown comment (a pull request's plan) as text and nothing else: no link, image,
/// HTML, emphasis or table cell break from the data, and no @mention, #reference or bare URL that
/// GitHub would turn into one (those are broken with a zero-width space, which GitHub's filters do
/// not see through). Controls are escaped first (`UntrustedText`), and a newline becomes a space.
public enum MarkdownText {
  /// `text`, safe inside a table cell or a list item.
  public static func escape(_ text: String) -> String {
    let clean = UntrustedText.clean(text)
    var out = ""
    out.reserveCapacity(clean.utf8.count + 8)
    var previous: Character = " "
    for c in clean {
      switch c {
      case "\\", "`", "*", "_", "[", "]", "(", ")", "<", ">", "!", "|", "~", "&", "{", "}":
        out.append("\\")
        out.append(c)
      case "@", "#":
        out.append(c)
        out.append(zeroWidthSpace)
      case "/" where previous == ":":
        out.append(zeroWidthSpace)
        out.append(c)
      case "." where out.suffix(3).lowercased() == "www":
        out.append(zeroWidthSpace)
        out.append(c)
      default:
        out.append(c)
      }
      previous = c
    }
    return out
  }

  /// `text` as an inline code span (delimiters included): nothing in it is Markdown; a `|` is escaped
  /// for the table around it, and the span's backticks outnumber any run inside.
  public static func code(_ text: String) -> String {
    let clean = UntrustedText.clean(text).replacingOccurrences(of: "|", with: "\\|")
    var longest = 0
    var run = 0
    for c in clean {
      run = c == "`" ? run + 1 : 0
      longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: longest + 1)
    return longest == 0 ? fence + clean + fence : fence + " " + clean + " " + fence
  }

  static let zeroWidthSpace: Character = "\u{200B}"
}
