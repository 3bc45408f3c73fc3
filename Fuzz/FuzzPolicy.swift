// libFuzzer entry point over the YAML reader and the policy compiler: any input must give documents
// or diagnostics, never a crash, a hang or unbounded memory. Built by scripts/fuzz.
import PartylineCore
import YAMLReader

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  // A second file lets cross-file checks (duplicate names, Limits) run too.
  let half = bytes.firstIndex(of: 0x1E) ?? bytes.count
  let reader = YAMLReader()
  var files = [reader.parse(Array(bytes[..<half]), file: "a.yaml")]
  if half < bytes.count { files.append(reader.parse(Array(bytes[(half + 1)...]), file: "b.yaml")) }
  let result = PolicyCompiler().compile(files)
  for d in result.diagnostics {
    precondition(d.range.start.line >= 1 && d.range.start.column >= 1, "diagnostic without a 1-based position")
    precondition(!d.message.isEmpty && !d.id.isEmpty)
  }
  if let set = result.policySet {
    precondition(result.diagnostics.allSatisfy { $0.severity != .error })
    for p in set.policies {
      precondition(Grammar.uuid(p.conversation) == p.conversation, "an id that could escape a URL got through")
    }
  }
  return 0
}
