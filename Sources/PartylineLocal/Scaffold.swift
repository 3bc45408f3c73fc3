import Foundation

/// `partyline init`: a policy repository to start from — a Limits file, a commented select policy, a
/// test for it, a GitHub workflow (plan on pull requests as a comment, apply on merge, a scheduled
/// backstop) and `.gitignore` lines. Everything it writes passes `validate` and `test`.
public enum Scaffold {
  /// A file the scaffold writes: its path under the directory and its text.
  public struct File: Sendable {
    public var path: String
    public var text: String
  }

  /// Why nothing was written.
  public struct Refused: Error, CustomStringConvertible {
    public var description: String
  }

  /// The files, by path under the directory.
  public static let files: [File] = [
    File(path: "policies/limits.yaml", text: limits),
    File(path: "policies/greeting.yaml", text: greeting),
    File(path: "policies/greeting.test.yaml", text: greetingTest),
    File(path: ".github/workflows/partyline.yml", text: workflow),
  ]

  /// The lines `.gitignore` needs (the state directory, SwiftPM's build products).
  public static let ignored = [".partyline/"]

  /// Writes the scaffold under `directory` (created if need be) and returns what it wrote, in order.
  /// An existing file is never overwritten: when any would be, nothing is written. `.gitignore` is
  /// created, or the missing lines are appended to it.
  public static func write(to directory: String) throws -> [String] {
    let fm = FileManager.default
    let existing = files.map { directory + "/" + $0.path }.filter { fm.fileExists(atPath: $0) }
    if !existing.isEmpty {
      throw Refused(
        description:
          "\(existing.map { "'\($0)'" }.joined(separator: ", ")) already \(existing.count == 1 ? "exists" : "exist"): nothing was written (init never overwrites a file)"
      )
    }
    var written: [String] = []
    for file in files {
      let path = directory + "/" + file.path
      try fm.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Data(file.text.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
      written.append(path)
    }
    let ignore = directory + "/.gitignore"
    let current = (try? String(contentsOfFile: ignore, encoding: .utf8)) ?? ""
    let have = Set(current.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
    let missing = ignored.filter { !have.contains($0) }
    if !missing.isEmpty {
      let prefix = current.isEmpty || current.hasSuffix("\n") ? "" : "\n"
      let text =
        current + prefix + "# Partyline's local state (journal, locks, sandbox)\n"
        + missing.joined(separator: "\n") + "\n"
      try Data(text.utf8).write(to: URL(fileURLWithPath: ignore), options: .atomic)
      written.append(ignore)
    }
    return written
  }

  static let limits = """
    # yaml-language-server: $schema=https://partyline.dev/schemas/policy.schema.json
    # Limits for the whole policy set (at most one Limits document). Without it the defaults apply:
    # maxMute 2h, maxParticipants 20, roles agent, supervisor and observer with no max.
    apiVersion: partyline/v1
    kind: Limits
    spec:
      maxMute: 1h              # no mute may last longer (at most 2h)
      maxParticipants: 12      # at most 20; a call's own limit wins when lower
      roles:
        agent: {}
        supervisor: {max: 1}   # at most one supervisor added by Partyline per call
        observer: {muted: true}  # observers are muted once connected

    """

  static let greeting = """
    # yaml-language-server: $schema=https://partyline.dev/schemas/policy.schema.json
    # Every call of the Payments queue: mute the customer for the first 20 s of the call (the compliance
    # greeting), in business hours. Change the queue to one of yours (`partyline calls` lists the live
    # calls and their queues), then run `partyline plan` to see what it would do.
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata:
      name: payments-greeting
      description: Mute the caller during the compliance greeting
    spec:
      select:
        queue: Payments          # a queue's exact name or id
      schedule:                  # optional: only inside these windows (leases end when a window closes)
        timeZone: Europe/Berlin
        windows:
          - days: [mon, tue, wed, thu, fri]
            from: "08:00"
            to: "18:00"
      mute:
        - purpose: customer
          for: 20s
          from: connect          # the first 20 s after the customer connected; none once they have passed
          reason: compliance greeting

    """

  static let greetingTest = """
    # A test of greeting.yaml: `partyline test` plans it offline against this world at `now` and
    # compares the whole plan. Run it in CI on every pull request.
    apiVersion: partyline/v1
    kind: PolicyTest
    metadata:
      name: payments-calls-are-muted-for-the-greeting
    spec:
      policies: [.]
      now: 2026-12-07T09:15:00+01:00   # a Monday morning in Berlin: inside the window
      world:                           # the emulator's fixture format
        users:
          - {id: 2228f9a6-0995-4bdb-ba19-281dd0143a12, name: Ada, email: ada@example.com}
        queues:
          - {id: 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d, name: Payments}
        conversations:
          - id: 8b7c6d5e-4f3a-4b2c-8d1e-0f9a8b7c6d5e
            queue: 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d
            participants:
              - {id: 9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f, purpose: customer, state: connected, address: "+4930555011"}
              - {id: 0d9e8f7a-6b5c-4d4e-8f3a-2b1c0d9e8f7a, purpose: agent, state: connected, user: 2228f9a6-0995-4bdb-ba19-281dd0143a12}
      expect:
        changes:
          - mute: {conversation: 8b7c6d5e-4f3a-4b2c-8d1e-0f9a8b7c6d5e, participant: 9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f, for: 20s, policy: payments-greeting}

    """

  static let workflow = """
    # Partyline in GitHub Actions: plan on every pull request (the plan as a comment, the tests as a
    # check), apply on merge, and a scheduled apply as a backstop (the watcher is the on-time path:
    # run `partyline watch` as a service with a PostgreSQL state, see the README).
    #
    # Secrets: GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET, PARTYLINE_STATE (a
    # postgres:// URL shared with the watchers). Variables: GENESYSCLOUD_REGION (such as eu-west-1),
    # PARTYLINE_SOURCE (the git URL Partyline is built from) and PARTYLINE_REF (its tag).
    name: partyline
    on:
      pull_request:
        paths: [policies/**]
      push:
        branches: [main]
        paths: [policies/**]
      schedule:
        - cron: "*/15 * * * *"
    concurrency: partyline-${{ github.ref }}
    permissions:
      contents: read
      pull-requests: write
    env:
      GENESYSCLOUD_OAUTHCLIENT_ID: ${{ secrets.GENESYSCLOUD_OAUTHCLIENT_ID }}
      GENESYSCLOUD_OAUTHCLIENT_SECRET: ${{ secrets.GENESYSCLOUD_OAUTHCLIENT_SECRET }}
      GENESYSCLOUD_REGION: ${{ vars.GENESYSCLOUD_REGION }}
      PARTYLINE_STATE: ${{ secrets.PARTYLINE_STATE }}
      NO_COLOR: "1"
    jobs:
      partyline:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: Install Partyline
            run: |
              sudo apt-get update && sudo apt-get install -y libyaml-dev
              git clone --depth 1 --branch "${{ vars.PARTYLINE_REF }}" "${{ vars.PARTYLINE_SOURCE }}" "$RUNNER_TEMP/partyline"
              swift build -c release --package-path "$RUNNER_TEMP/partyline" --product partyline
              echo "$RUNNER_TEMP/partyline/.build/release" >> "$GITHUB_PATH"
          - name: Validate and test the policies
            run: |
              partyline validate --format github policies
              partyline test --format junit policies > partyline-tests.xml
          - name: Plan (pull request)
            if: github.event_name == 'pull_request'
            run: |
              partyline plan --format markdown policies > plan.md
              gh pr comment "${{ github.event.pull_request.number }}" --edit-last --body-file plan.md \\
                || gh pr comment "${{ github.event.pull_request.number }}" --body-file plan.md
            env:
              GH_TOKEN: ${{ github.token }}
          - name: Apply (merge, and the scheduled backstop)
            if: github.event_name != 'pull_request'
            run: partyline apply --yes policies

    """
}
