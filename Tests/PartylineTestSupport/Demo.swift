/// The ids of the emulator's demo organisation (sim/demo-organisation.yaml, served by `--sandbox` and by
/// `partyline sim serve` without a fixture), named for what the tests use them for. A test of the
/// emulator (`demoIdsAreTheDemoOrganisations`) keeps them equal to the organisation.
public enum Demo {
  /// The OAuth clients.
  public enum Client {
    /// Every permission.
    public static let id = "partyline-demo"
    /// `id`'s secret.
    public static let secret = "partyline-demo-secret"
  }

  /// The directory's users.
  public enum User {
    /// Ada Agent (ada@example.com), the agent of the war room; the bridge policy acts as her.
    public static let ada = "2228f9a6-0995-4bdb-ba19-281dd0143a12"
    /// Grace Hopper (grace@example.com), the agent of the noisy line.
    public static let grace = "84e572a8-5750-49d6-8d0a-2d88a6110981"
    /// Linus Trainee (linus@example.com), muted in the coaching call.
    public static let linus = "865d8ff8-f994-4d26-9196-52c3d534c1a8"
    /// Sam Supervisor (sam.supervisor@example.com).
    public static let sam = "ae0e94c9-0fab-450b-b73a-1dd4708f03c6"
    /// Olive Observer (olive@example.com).
    public static let olive = "5407fee2-65c0-4556-9057-fc763f10f2ed"
    /// Hedy Lamarr (hedy@example.com), Busy.
    public static let hedy = "4b551df7-121b-4db5-953f-ea2ede73ced8"
    /// Otto Offline (otto@example.com).
    public static let otto = "cb93ecee-36f1-414c-9154-ecf8a2560fba"
    /// Quinn Queue (quinn@example.com), who answered a call of Escalations.
    public static let quinn = "54f926bc-9b9a-421d-a94f-e513f6617f0a"
  }

  /// The routing queues.
  public enum Queue {
    /// Escalations: two calls wait in it or were answered from it.
    public static let escalations = "dbf17a5a-2163-4149-a955-ad5f0b5fdfe2"
    /// Sales: one call.
    public static let sales = "d6c4f7ed-efd2-4d93-aef9-a2c5f7fa4521"
  }

  /// The live calls.
  public enum Call {
    /// The escalation bridge of ticket 4711 (policies/war-room-4711.yaml), capped at 10 participants.
    public static let warRoom = "751093a1-a8ad-4ca4-a113-0f80cc4f35b8"
    /// A caller in a loud place (policies/noisy-line.yaml).
    public static let noisy = "4bd53925-0e3f-4032-8ec5-19c148eb8083"
    /// A coaching call under quality review (policies/quality-observer.yaml).
    public static let coaching = "a133c48f-effc-46e1-8817-4a1be424f4bc"
    /// A call of Escalations that Quinn answered.
    public static let escalationAnswered = "afb57008-245d-4e90-b3c2-36c129de2796"
    /// A call of Escalations still waiting for an agent.
    public static let escalationWaiting = "d8b733cc-13be-412a-9abf-58b79eb17fa8"
    /// A call of Sales.
    public static let sales = "d9423930-5954-47ed-8c3b-452b6d626bf1"
  }

  /// Participants (legs) of the live calls.
  public enum Participant {
    /// The customer of the war room.
    public static let warRoomCustomer = "da272714-0a88-4f39-b75e-a3f723ef5c18"
    /// Ada's leg in the war room.
    public static let warRoomAgent = "fe9cd5a5-c53c-4dc1-a53d-1a9cc573b440"
    /// The customer of the noisy line, whom the noisy-line policy mutes.
    public static let noisyCustomer = "ef10915e-a083-4f2f-8045-c624a143ada8"
    /// Linus's leg in the coaching call, muted.
    public static let trainee = "801f1f22-9387-4e98-8071-1a0c120f44f0"
  }
}
