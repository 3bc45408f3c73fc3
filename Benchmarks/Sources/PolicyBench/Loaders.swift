import CScan
import Foundation
import PartylineCore
import PartylineLocal
import Yams

/// What one loader produced, checked after every run so that no loader can skip work.
struct LoadOutcome {
  var documents: Int
  var policies: Int
  var diagnostics: Int
  var detail: String
  /// What the loader built, released by the caller after the clock has stopped: each loader is
  /// timed for loading, not for tearing its result down.
  var result: Any = ()
}

enum LoaderKind: String, CaseIterable {
  case cScan = "c-scan"
  case partyline = "partyline"
  case yams = "yams"

  var title: String {
    switch self {
    case .cScan: return "libyaml event scan (C)"
    case .partyline: return "Partyline PolicyLoader (parse + compile)"
    case .yams: return "Yams 6 + Codable (YAMLDecoder)"
    }
  }
}

enum BenchError: Error, CustomStringConvertible {
  case failed(String)
  var description: String {
    switch self {
    case .failed(let s): return s
    }
  }
}

struct Loaders {
  var directory: String
  /// The set's files in the order Partyline reads them.
  var files: [String]

  func run(_ kind: LoaderKind) throws -> LoadOutcome {
    switch kind {
    case .cScan: return try cScan()
    case .partyline: return partyline()
    case .yams: return try yams()
    }
  }

  /// (a) Every libyaml event of every file, touching scalar lengths, nothing else.
  func cScan() throws -> LoadOutcome {
    var totals = cscan_totals(events: 0, scalar_bytes: 0)
    for file in files {
      let rc = cscan_file(file, &totals)
      if rc != 0 { throw BenchError.failed("c scan failed on \(file): \(rc)") }
    }
    return LoadOutcome(
      documents: 0, policies: 0, diagnostics: 0,
      detail: "\(totals.events) events, \(totals.scalar_bytes) scalar bytes")
  }

  /// (b) Partyline as the CLI loads a policy set: discover, read, parse, compile, set checks.
  func partyline() -> LoadOutcome {
    let result = PolicyLoader().load([directory])
    return LoadOutcome(
      documents: result.documentCount, policies: result.policySet?.policies.count ?? 0,
      diagnostics: result.diagnostics.count, detail: "", result: result)
  }

  /// (c) Yams: each file read as a string, each document parsed to a `Node` and decoded.
  func yams() throws -> LoadOutcome {
    let decoder = YAMLDecoder()
    var documents = 0
    var policies = 0
    var decoded: [YamsDocument] = []
    decoded.reserveCapacity(20_001)
    for file in files {
      let text = try String(contentsOfFile: file, encoding: .utf8)
      let parser = try Parser(yaml: text)
      while let node = try parser.nextRoot() {
        documents += 1
        let document = try decoder.decode(YamsDocument.self, from: node)
        if case .policy = document { policies += 1 }
        decoded.append(document)
      }
    }
    return LoadOutcome(documents: documents, policies: policies, diagnostics: 0, detail: "", result: decoded)
  }
}
