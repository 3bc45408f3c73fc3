// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "Partyline",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "partyline", targets: ["partyline"]),
    .library(name: "PartylineCore", targets: ["PartylineCore"]),
    .library(name: "YAMLReader", targets: ["YAMLReader"]),
    .library(name: "GenesysSim", targets: ["GenesysSim"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CYAML",
      pkgConfig: "yaml-0.1",
      providers: [.apt(["libyaml-dev"])]
    ),
    .target(name: "YAMLReader", dependencies: ["CYAML"]),
    // JSON values with ordered keys: what the emulator and the policy engine share, and nothing more.
    .target(name: "OrderedJSON"),
    .target(
      name: "PartylineCore",
      dependencies: ["YAMLReader", "OrderedJSON", .product(name: "Crypto", package: "swift-crypto")]),
    .target(
      name: "GenesysCloud",
      dependencies: [
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(
      name: "GenesysSim",
      dependencies: [
        "YAMLReader",
        "OrderedJSON",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),
    .target(
      name: "PartylineStatePostgres",
      dependencies: [
        "PartylineCore",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "partyline",
      dependencies: [
        "PartylineCore",
        "PartylineStatePostgres",
        "GenesysCloud",
        "GenesysSim",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
      ]
    ),
    // What the PostgreSQL and end-to-end tests share: the test server and its throwaway databases.
    .target(
      name: "PartylineTestSupport",
      dependencies: [
        "PartylineStatePostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tests/PartylineTestSupport"
    ),
    .testTarget(name: "YAMLReaderTests", dependencies: ["YAMLReader"]),
    .testTarget(
      name: "PartylineCoreTests",
      dependencies: ["PartylineCore"],
      resources: [.copy("Fixtures")]
    ),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "PartylineCore", "partyline", "PartylineStatePostgres", "PartylineTestSupport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      exclude: ["Inputs", "Golden"]),
    .testTarget(name: "GenesysCloudTests", dependencies: ["GenesysCloud", "GenesysSim"]),
    .testTarget(
      name: "GenesysSimTests",
      dependencies: [
        "GenesysSim", "YAMLReader", .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
      ]),
    .testTarget(
      name: "PartylineStatePostgresTests",
      dependencies: [
        "PartylineStatePostgres", "PartylineCore", "PartylineTestSupport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ]
    ),
  ]
)
