import YAMLReader

/// What every time-bounded directive says about its lease (a `mute` entry, `pauseRecording`): `for`
/// (required), `reason`, and `from` (what the lease is timed from).
struct LeaseTerms {
  /// The entry's `for`; nil when missing or wrong (with a located error).
  var duration: PolicyDuration?
  /// The `for` value in the source, or the entry when it has none.
  var durationLocation: SourceRange
  /// The entry's `reason`, when given.
  var reason: String?
  /// The entry's `from` (`now` unless given).
  var from: MuteAnchor
}

extension DocumentCompiler {
  /// The lease terms of `entry` (its fields `f`), with located errors: `for` missing (`what` names the
  /// entry, `example` says how long such a lease may last), not a duration, or `from` not an anchor
  /// (`lease` names whose lease it times).
  mutating func leaseTerms(
    _ f: MappingReader.Fields, of entry: Node, _ what: String, example: String, lease: String
  ) -> LeaseTerms {
    var terms = LeaseTerms(duration: nil, durationLocation: entry.range, reason: nil, from: .now)
    if let d = f["for"] {
      terms.durationLocation = d.range
      terms.duration = duration(d, "for")
    } else {
      error(.missingKey, "\(what) is missing required key 'for' (\(example))", keyRange(entry))
    }
    if let r = f["reason"] { terms.reason = string(r, "reason") }
    if let node = f["from"], let s = string(node, "from"),
      let anchor: MuteAnchor = choice(s, at: node, "from", why: " (what \(lease) is timed from)")
    {
      terms.from = anchor
    }
    return terms
  }
}
