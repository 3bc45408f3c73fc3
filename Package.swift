// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "Partyline",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "partyline", targets: ["partyline"]),
    .library(name: "PartylineCore", targets: ["PartylineCore"]),
    .library(name: "YAMLReader", targets: ["YAMLReader"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CYAML",
      pkgConfig: "yaml-0.1",
      providers: [.apt(["libyaml-dev"])]
    ),
    .target(name: "YAMLReader", dependencies: ["CYAML"]),
    .target(name: "PartylineCore", dependencies: ["YAMLReader"]),
    .target(
      name: "GenesysCloud",
      dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")]
    ),
    .executableTarget(
      name: "partyline",
      dependencies: [
        "PartylineCore",
        "GenesysCloud",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "YAMLReaderTests", dependencies: ["YAMLReader"]),
    .testTarget(
      name: "PartylineCoreTests",
      dependencies: ["PartylineCore"],
      resources: [.copy("Fixtures")]
    ),
    .testTarget(name: "EndToEndTests", dependencies: ["partyline"], exclude: ["Inputs", "Golden"]),
  ]
)
