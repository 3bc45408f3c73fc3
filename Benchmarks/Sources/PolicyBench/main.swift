import Foundation
import PartylineCore
import PartylineLocal
import YAMLReader

#if canImport(Glibc)
  import Glibc
#endif

// policy-bench [run] [--data DIR] [--rounds N] [--results FILE]   generate if missing, then measure
// policy-bench generate [--data DIR]                                (re)write the data set
// policy-bench once LOADER [--data DIR]                             one load; prints peak RSS (KiB)

struct Options {
  var command = "run"
  var loader: LoaderKind?
  var data = "data/policies"
  var rounds = 7
  var results = "results.md"
  var commandLine = "swift run -c release policy-bench"

  init(_ args: [String]) throws {
    var rest = args[...]
    if let first = rest.first, !first.hasPrefix("-") {
      command = first
      rest = rest.dropFirst()
      if command == "once" {
        guard let name = rest.popFirst(), let kind = LoaderKind(rawValue: name) else {
          throw BenchError.failed("once needs a loader: c-scan, partyline or yams")
        }
        loader = kind
      }
    }
    while let arg = rest.popFirst() {
      guard let value = rest.popFirst() else { throw BenchError.failed("\(arg) needs a value") }
      switch arg {
      case "--data": data = value
      case "--rounds": rounds = max(1, Int(value) ?? 7)
      case "--results": results = value
      case "--command": commandLine = value
      default: throw BenchError.failed("unknown option \(arg)")
      }
    }
  }
}

func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU time of this thread: unlike wall time, it leaves out the time other processes had the core.
func threadCPU() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func peakRSSKiB() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return usage.ru_maxrss
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

func shell(_ command: String) -> String {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/bin/sh")
  p.arguments = ["-c", command]
  let pipe = Pipe()
  p.standardOutput = pipe
  p.standardError = FileHandle.nullDevice
  do { try p.run() } catch { return "" }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The set's files, as Partyline discovers them, and their total size.
func dataSet(_ directory: String) -> (files: [String], bytes: Int) {
  let files = PolicyLoader().discover([directory]).files
  var bytes = 0
  for f in files {
    bytes += (try? FileManager.default.attributesOfItem(atPath: f)[.size] as? Int) ?? 0
  }
  return (files, bytes)
}

func ensureData(_ directory: String) throws {
  let marker = directory + "/.complete"
  if (try? String(contentsOfFile: marker, encoding: .utf8)) == Generator.version { return }
  let start = now()
  let bytes = try Generator().write(to: directory)
  print("generated \(directory): \(bytes) bytes in \(fmt(now() - start, 2)) s")
}

/// Checks every outcome, so a loader that skipped work or rejected a document fails the run.
func verify(_ kind: LoaderKind, _ o: LoadOutcome, policies expected: Int) throws {
  switch kind {
  case .cScan:
    break
  case .partyline:
    guard o.diagnostics == 0, o.policies == expected, o.documents == expected + 1 else {
      throw BenchError.failed(
        "partyline: \(o.diagnostics) diagnostics, \(o.policies) policies, \(o.documents) documents; expected 0, \(expected), \(expected + 1)"
      )
    }
  case .yams:
    guard o.policies == expected, o.documents == expected + 1 else {
      throw BenchError.failed("yams: \(o.policies) policies, \(o.documents) documents")
    }
  }
}

func runOnce(_ options: Options) throws {
  let set = dataSet(options.data)
  let loaders = Loaders(directory: options.data, files: set.files)
  let outcome = try loaders.run(options.loader!)
  // A subset of the files (for profiling) holds 100 policies per policies-*.yaml file.
  let expected =
    set.files.filter { $0.hasSuffix(".yaml") && $0.contains("/policies-") }.count * Generator().perFile
  try verify(options.loader!, outcome, policies: expected)
  print(peakRSSKiB())
}

/// C scan and Partyline only, interleaved: a quick check while optimising.
func runQuick(_ options: Options) throws {
  try ensureData(options.data)
  let set = dataSet(options.data)
  let loaders = Loaders(directory: options.data, files: set.files)
  for f in set.files { _ = FileManager.default.contents(atPath: f) }
  var c: [Double] = []
  var p: [Double] = []
  var cc: [Double] = []
  var pc: [Double] = []
  for round in 0..<options.rounds {
    for kind in round % 2 == 0 ? [LoaderKind.cScan, .partyline] : [.partyline, .cScan] {
      let start = now()
      let cpuStart = threadCPU()
      var o = try loaders.run(kind)
      let t = now() - start
      let cpuT = threadCPU() - cpuStart
      o.result = ()  // released after the clock stopped
      try verify(kind, o, policies: Generator().policyCount)
      if kind == .cScan { c.append(t) } else { p.append(t) }
      if kind == .cScan { cc.append(cpuT) } else { pc.append(cpuT) }
      if round == options.rounds - 1 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print(
          "\(kind.rawValue): \(fmt(t, 3)) s; process so far: user \(usage.ru_utime.tv_sec).\(usage.ru_utime.tv_usec / 1000) s, sys \(usage.ru_stime.tv_sec).\(usage.ru_stime.tv_usec / 1000) s, minor faults \(usage.ru_minflt)"
        )
      }
    }
  }
  print(
    "c-scan \(fmt(median(c), 3)) s, partyline \(fmt(median(p), 3)) s, ratio \(fmt(median(p) / median(c), 2))")
  print(
    "CPU: c-scan \(fmt(median(cc), 3)) s, partyline \(fmt(median(pc), 3)) s, ratio \(fmt(median(pc) / median(cc), 2))"
  )
}

/// Partyline's stages apart: reading and parsing, then compiling the parsed files.
func runStages(_ options: Options) throws {
  let set = dataSet(options.data)
  var read: [Double] = []
  var compile: [Double] = []
  for _ in 0..<options.rounds {
    var start = now()
    let reader = YAMLReader()
    let parsed = set.files.map { reader.read(path: $0) }
    read.append(now() - start)
    start = now()
    let result = PolicyCompiler().compile(parsed)
    compile.append(now() - start)
    precondition(result.diagnostics.isEmpty)
  }
  print("read+parse \(fmt(median(read), 3)) s, compile \(fmt(median(compile), 3)) s")
}

func runBenchmark(_ options: Options) throws {
  try ensureData(options.data)
  let set = dataSet(options.data)
  let loaders = Loaders(directory: options.data, files: set.files)
  let expected = Generator().policyCount
  let megabytes = Double(set.bytes) / 1e6
  print("data: \(set.files.count) files, \(fmt(megabytes, 2)) MB, \(expected) policies + 1 Limits document")

  // Warm the file cache, then one unmeasured load by each loader (also checks their outcomes).
  for f in set.files { _ = FileManager.default.contents(atPath: f) }
  var details: [LoaderKind: String] = [:]
  for kind in LoaderKind.allCases {
    let o = try loaders.run(kind)
    try verify(kind, o, policies: expected)
    details[kind] = o.detail
  }

  // Interleaved rounds; the order rotates (ABC, BCA, CAB …) so no loader always runs first.
  var times: [LoaderKind: [Double]] = [:]
  var cpuTimes: [LoaderKind: [Double]] = [:]
  let loadBefore = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "")
    .split(separator: " ").prefix(3).joined(separator: " ")
  let kinds = LoaderKind.allCases
  for round in 0..<options.rounds {
    for i in 0..<kinds.count {
      let kind = kinds[(round + i) % kinds.count]
      let start = now()
      let cpuStart = threadCPU()
      var o = try loaders.run(kind)
      let t = now() - start
      let cpuT = threadCPU() - cpuStart
      o.result = ()  // released after the clock stopped
      try verify(kind, o, policies: expected)
      times[kind, default: []].append(t)
      cpuTimes[kind, default: []].append(cpuT)
    }
    let line = kinds.map { "\($0.rawValue) \(fmt(times[$0]!.last!, 3)) s" }.joined(separator: ", ")
    print("round \(round + 1)/\(options.rounds): \(line)")
  }

  // Peak RSS of each loader alone: one load in a fresh process.
  let exe =
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    ?? CommandLine.arguments[0]
  var rss: [LoaderKind: Int] = [:]
  for kind in kinds {
    let out = shell("'\(exe)' once \(kind.rawValue) --data '\(options.data)'")
    if let kib = Int(out.split(separator: "\n").last ?? "") { rss[kind] = kib }
  }

  let med = Dictionary(uniqueKeysWithValues: kinds.map { ($0, median(times[$0]!)) })
  let cpuMed = Dictionary(uniqueKeysWithValues: kinds.map { ($0, median(cpuTimes[$0]!)) })
  let partyVsC = med[.partyline]! / med[.cScan]!
  let yamsVsParty = med[.yams]! / med[.partyline]!

  var table =
    "| loader | median wall (s) | min (s) | max (s) | MB/s | × C scan | median CPU (s) | × C scan (CPU) | peak RSS (MiB) |\n"
  table += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
  for kind in kinds {
    let ts = times[kind]!
    let m = med[kind]!
    let c = cpuMed[kind]!
    let r = rss[kind].map { fmt(Double($0) / 1024, 1) } ?? "n/a"
    table +=
      "| \(kind.title) | \(fmt(m, 3)) | \(fmt(ts.min()!, 3)) | \(fmt(ts.max()!, 3)) | \(fmt(megabytes / m, 1)) | \(fmt(m / med[.cScan]!, 2)) | \(fmt(c, 3)) | \(fmt(c / cpuMed[.cScan]!, 2)) | \(r) |\n"
  }
  let goalC = partyVsC <= 2.0
  let goalYams = yamsVsParty >= 10.0
  var summary =
    "- Partyline / C scan time: **\(fmt(partyVsC, 2))** (goal ≤ 2.0: \(goalC ? "met" : "missed")); in CPU time \(fmt(cpuMed[.partyline]! / cpuMed[.cScan]!, 2))\n"
  summary +=
    "- Yams / Partyline time: **\(fmt(yamsVsParty, 1))** (goal ≥ 10: \(goalYams ? "met" : "missed")); in CPU time \(fmt(cpuMed[.yams]! / cpuMed[.partyline]!, 1))\n"
  print("")
  print(table)
  print(summary)

  let cpu =
    ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
    .split(separator: "\n").first { $0.hasPrefix("model name") }
    .map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) } ?? "unknown"
  let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "")
    .split(separator: " ").prefix(3).joined(separator: " ")
  let date = shell("date -u '+%Y-%m-%d %H:%M UTC'")
  let swift = shell("swift --version 2>&1 | head -1")
  var md = "# Policy-set load benchmark\n\n"
  md += "- Date: \(date)\n"
  md +=
    "- Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores (nproc), \(cpu); load average \(loadBefore) before the rounds, \(load) at the end (the machine is shared)\n"
  md += "- Toolchain: \(swift); libyaml \(shell("pkg-config --modversion yaml-0.1"))\n"
  md += "- Command: `\(options.commandLine)` (in Benchmarks/), release build\n"
  md +=
    "- Data: \(set.files.count) files, \(fmt(megabytes, 2)) MB (\(set.bytes) bytes), \(expected) ConversationPolicy documents + 1 Limits document, generated deterministically (generator v\(Generator.version)); every document compiles with 0 diagnostics (checked on every run)\n"
  md +=
    "- Method: file cache warmed and one unmeasured load per loader, then \(options.rounds) interleaved rounds (order rotating); medians of wall time (CLOCK_MONOTONIC) and of the thread's CPU time (CLOCK_THREAD_CPUTIME_ID, which leaves out time other processes held the core); peak RSS (ru_maxrss) from one load per loader in a fresh process\n"
  md += "- C scan saw \(details[.cScan] ?? "")\n\n"
  md += table + "\n" + summary
  md += "\nRaw times (s):\n\n"
  for kind in kinds {
    md +=
      "- \(kind.rawValue): wall \(times[kind]!.map { fmt($0, 3) }.joined(separator: ", ")); CPU \(cpuTimes[kind]!.map { fmt($0, 3) }.joined(separator: ", "))\n"
  }
  try md.write(toFile: options.results, atomically: true, encoding: .utf8)
  print("wrote \(options.results)")
}

do {
  let options = try Options(Array(CommandLine.arguments.dropFirst()))
  switch options.command {
  case "generate":
    let start = now()
    let bytes = try Generator().write(to: options.data)
    print("generated \(options.data): \(bytes) bytes in \(fmt(now() - start, 2)) s")
  case "once": try runOnce(options)
  case "quick": try runQuick(options)
  case "stages": try runStages(options)
  case "run": try runBenchmark(options)
  default: throw BenchError.failed("unknown command \(options.command)")
  }
} catch {
  FileHandle.standardError.write(Data("policy-bench: \(error)\n".utf8))
  exit(1)
}
