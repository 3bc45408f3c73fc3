// swift-tools-version: 6.1
import PackageDescription

// Policy-set load throughput: Partyline (parse + compile) beside a raw libyaml event scan in C and
// Yams with Codable, over the same generated files, in one run. A separate package so that the
// product's build stays lean. Run with `./run.sh` or `swift run -c release policy-bench`.
let package = Package(
  name: "PartylineBenchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    .package(name: "Partyline", path: ".."),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
  ],
  targets: [
    .target(
      name: "CScan",
      linkerSettings: [.linkedLibrary("yaml")]
    ),
    .executableTarget(
      name: "policy-bench",
      dependencies: [
        "CScan",
        .product(name: "YAMLReader", package: "Partyline"),
        .product(name: "PartylineCore", package: "Partyline"),
        .product(name: "PartylineLocal", package: "Partyline"),
        .product(name: "Yams", package: "Yams"),
      ],
      path: "Sources/PolicyBench"
    ),
  ]
)
