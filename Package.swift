// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "Partyline",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "partyline", targets: ["partyline"]),
    .library(name: "PartylineCore", targets: ["PartylineCore"]),
    .library(name: "PartylineLocal", targets: ["PartylineLocal"]),
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
    .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
    // The one backoff rule of every retry loop.
    .target(name: "Backoff"),
    // The one ISO-8601 formatter and parser.
    .target(name: "WireTime"),
    // A server in a service group of its own, returning once it listens: the emulator's, watch's endpoints.
    .target(
      name: "Serving",
      dependencies: [
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // The one rule for which hosts are this machine (plain http, ws, PostgreSQL without verify-full).
    .target(name: "Loopback"),
    // The policy engine, pure: the model, the compiler, the planner, the applier and the runtime
    // (reconciler, watcher) on an injected clock, over protocols for the live state, the executor,
    // the journal and the locks. No files, sockets, environment, printing or real clock.
    .target(
      name: "PartylineCore",
      dependencies: [
        "YAMLReader", "OrderedJSON", "Backoff", "WireTime", .product(name: "Crypto", package: "swift-crypto"),
      ]),
    // The local machine: policy files, the file journal and its locks, the system clock.
    .target(
      name: "PartylineLocal",
      dependencies: ["PartylineCore", "YAMLReader", .product(name: "SystemPackage", package: "swift-system")]),
    // Webhook delivery of journal records: a bounded queue, signed, retried, never blocking a run.
    .target(
      name: "PartylineWebhook",
      dependencies: [
        "PartylineCore", "Backoff", "Loopback", "OrderedJSON", "WireTime",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
      ]),
    // Policy tests (`partyline test`): a test's world served by the emulator, planned by the core.
    .target(
      name: "PolicyTesting",
      dependencies: [
        "PartylineCore", "PartylineLocal", "PartylineGenesys", "GenesysCloud", "GenesysSim", "YAMLReader",
        "OrderedJSON", "WireTime",
      ]),
    // How the engine's results look: diagnostics, plans, the apply summary, the lease table, metrics.
    .target(
      name: "PartylineViews", dependencies: ["PartylineCore", "YAMLReader", "OrderedJSON", "WireTime"]),
    // The Genesys Cloud Platform API v2 client: requests, the rate budget, notifications.
    .target(
      name: "GenesysCloud",
      dependencies: [
        "Backoff", "WireTime", "Loopback",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The engine's protocols over the client: the live-state source, the executor, the budget, events.
    .target(name: "PartylineGenesys", dependencies: ["PartylineCore", "GenesysCloud", "YAMLReader"]),
    .target(
      name: "GenesysSim",
      dependencies: [
        "YAMLReader",
        "OrderedJSON",
        "WireTime",
        "Serving",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
      ]
    ),
    .target(
      name: "PartylineStatePostgres",
      dependencies: [
        "PartylineCore", "Backoff", "Loopback",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "partyline",
      dependencies: [
        "PartylineCore", "PartylineLocal", "PartylineViews", "PartylineStatePostgres", "PartylineGenesys",
        "PartylineWebhook", "PolicyTesting",
        "GenesysCloud", "GenesysSim", "Backoff", "WireTime", "Loopback", "OrderedJSON", "YAMLReader",
        "Serving",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "SystemPackage", package: "swift-system"),
        // watch --listen: the endpoints an operator runs a daemon with; watch --log-format json.
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // What the tests share: the PostgreSQL test server and its throwaway databases, the golden-file
    // assertion, marked policy sources, and the runtime's test doubles (a manual clock, a journal in
    // memory, calls served from memory).
    .target(
      name: "PartylineTestSupport",
      dependencies: [
        "PartylineCore", "YAMLReader", "PartylineStatePostgres",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tests/PartylineTestSupport"
    ),
    .testTarget(name: "YAMLReaderTests", dependencies: ["YAMLReader"]),
    .testTarget(
      name: "PartylineCoreTests",
      dependencies: ["PartylineCore", "PartylineLocal", "PartylineTestSupport"],
      resources: [.copy("Fixtures")]
    ),
    .testTarget(
      name: "PartylineViewsTests",
      dependencies: ["PartylineViews", "PartylineCore", "YAMLReader", "PartylineTestSupport"],
      exclude: ["Golden"]),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "PartylineCore", "PartylineLocal", "partyline", "PartylineStatePostgres", "PartylineTestSupport",
        "WireTime", .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      exclude: ["Inputs", "Golden"]),
    .testTarget(name: "GenesysCloudTests", dependencies: ["Backoff", "GenesysCloud", "GenesysSim"]),
    .testTarget(
      name: "GenesysSimTests",
      dependencies: [
        "GenesysSim", "YAMLReader", "PartylineTestSupport",
        .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
      ]),
    .testTarget(
      name: "PartylineStatePostgresTests",
      dependencies: [
        "PartylineStatePostgres", "PartylineCore", "PartylineLocal", "PartylineTestSupport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ]
    ),
  ]
)

// Swift 6 upcoming features on every Swift target: `any` spelled out, imports internal unless marked
// `public import`, and members visible only from modules a file imports itself.
for target in package.targets where target.type != .system {
  target.swiftSettings =
    (target.swiftSettings ?? []) + [
      .enableUpcomingFeature("ExistentialAny"),
      .enableUpcomingFeature("InternalImportsByDefault"),
      .enableUpcomingFeature("MemberImportVisibility"),
    ]
}
