import PartylineCore
import PartylineViews
import Testing

/// The one sanitiser for text from the API, and the Markdown view's escaping.
@Suite struct UntrustedTextTests {
  @Test func controlsAndReorderingCharactersAreShownAsEscapes() {
    #expect(UntrustedText.clean("Customer +4930555010") == "Customer +4930555010")
    #expect(UntrustedText.clean("Zoë Müller 李") == "Zoë Müller 李")
    #expect(
      UntrustedText.clean("\u{1B}[1A\u{1B}]0;t\u{07}\tx\ny\u{7F}\u{9B}2J\u{202E}abc\u{2066}")
        == #"\x1B[1A\x1B]0;t\x07\x09x\x0Ay\x7F\x9B2J\u202Eabc\u2066"#)
    #expect(UntrustedText.clean(nil as String?) == nil)
  }

  @Test func markdownMakesNoLinkImageHTMLOrMention() {
    let s = MarkdownText.escape(
      "[a](https://e.example) ![i](x.png) <img src=x> @octocat #12 www.e.com *b* a|b `c`")
    #expect(s.contains(#" \<img"#))  // a backslash-escaped < starts no HTML
    for made in ["](", "![", " <img", "https://", "@octocat", "#12", "www.e", "*b*", "a|b", "`c`"] {
      #expect(!s.contains(made), "'\(made)' in \(s)")
    }
    #expect(MarkdownText.escape("mute Caller for 30m") == "mute Caller for 30m")
    #expect(MarkdownText.escape("a\u{1B}[2Kb") == #"a\\x1B\[2Kb"#)
  }

  @Test func aCodeSpanOutlastsTheBackticksInside() {
    #expect(MarkdownText.code("policies/a.yaml:3") == "`policies/a.yaml:3`")
    #expect(MarkdownText.code("a`b") == "`` a`b ``")
    #expect(MarkdownText.code("x|y") == #"`x\|y`"#)
  }
}
