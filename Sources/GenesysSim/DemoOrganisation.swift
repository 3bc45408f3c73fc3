/// The demo organisation, a copy of sim/demo-organisation.yaml (a test keeps the two equal). The
/// example policies in policies/ refer to its ids.
enum DemoOrganisation {
  static let yaml = #"""
    # The emulator's demo organisation: what `--sandbox` and `partyline sim serve` (without --fixture)
    # serve. The example policies in policies/ refer to these ids; keep them in step.
    clients:
      - id: partyline-demo
        secret: partyline-demo-secret
        permissions: ["*"]
        tokenLifetime: 24h
      - id: partyline-readonly
        secret: partyline-readonly-secret
        permissions: ["conversation:communication:view", "directory:user:view"]
    users:
      - id: 2228f9a6-0995-4bdb-ba19-281dd0143a12
        name: Ada Agent
        email: ada@example.com
        presence: Available
      - id: 84e572a8-5750-49d6-8d0a-2d88a6110981
        name: Grace Hopper
        email: grace@example.com
        presence: Available
      - id: 865d8ff8-f994-4d26-9196-52c3d534c1a8
        name: Linus Trainee
        email: linus@example.com
        presence: On Queue
      - id: ae0e94c9-0fab-450b-b73a-1dd4708f03c6
        name: Sam Supervisor
        email: sam.supervisor@example.com
        presence: Available
      - id: 5407fee2-65c0-4556-9057-fc763f10f2ed
        name: Olive Observer
        email: olive@example.com
        presence: Available
      - id: 4b551df7-121b-4db5-953f-ea2ede73ced8
        name: Hedy Lamarr
        email: hedy@example.com
        presence: Busy
      - id: cb93ecee-36f1-414c-9154-ecf8a2560fba
        name: Otto Offline
        email: otto@example.com
        presence: Offline
      - id: 54f926bc-9b9a-421d-a94f-e513f6617f0a
        name: Quinn Queue
        email: quinn@example.com
        presence: On Queue
    queues:
      - id: dbf17a5a-2163-4149-a955-ad5f0b5fdfe2
        name: Escalations
      - id: d6c4f7ed-efd2-4d93-aef9-a2c5f7fa4521
        name: Sales
    conversations:
      # The escalation bridge of ticket 4711 (policies/war-room-4711.yaml).
      - id: 751093a1-a8ad-4ca4-a113-0f80cc4f35b8
        maxParticipants: 10
        participants:
          - id: da272714-0a88-4f39-b75e-a3f723ef5c18
            purpose: customer
            state: connected
            name: Customer +4930123456
            address: "+4930123456"
          - id: fe9cd5a5-c53c-4dc1-a53d-1a9cc573b440
            purpose: agent
            state: connected
            user: 2228f9a6-0995-4bdb-ba19-281dd0143a12
            name: Ada Agent
      # A caller in a loud place (policies/noisy-line.yaml).
      - id: 4bd53925-0e3f-4032-8ec5-19c148eb8083
        participants:
          - id: ef10915e-a083-4f2f-8045-c624a143ada8
            purpose: customer
            state: connected
            name: Customer +4930555010
            address: "+4930555010"
          - id: 3fcc22e8-510c-4505-96c5-8cbb161cee3f
            purpose: agent
            state: connected
            user: 84e572a8-5750-49d6-8d0a-2d88a6110981
            name: Grace Hopper
      # A coaching call under quality review (policies/quality-observer.yaml).
      - id: a133c48f-effc-46e1-8817-4a1be424f4bc
        participants:
          - id: 1a0e4c54-a6e3-4820-bb7e-281704d1aef0
            purpose: customer
            state: connected
            name: Customer +4940777123
            address: "+4940777123"
          - id: 801f1f22-9387-4e98-8071-1a0c120f44f0
            purpose: agent
            state: connected
            user: 865d8ff8-f994-4d26-9196-52c3d534c1a8
            name: Linus Trainee
            muted: true
      # Calls in queue Escalations (a select policy on the queue finds them): one answered by Quinn, one
      # still waiting for an agent.
      - id: afb57008-245d-4e90-b3c2-36c129de2796
        queue: dbf17a5a-2163-4149-a955-ad5f0b5fdfe2
        direction: inbound
        participants:
          - id: b7820e01-6ee5-4785-bac7-58de0b0b3624
            purpose: customer
            state: connected
            address: "+4930444001"
          - id: d57e9ebe-0a4f-403d-8376-52a3e10a084c
            purpose: acd
            state: disconnected
          - id: 41751aaa-7165-4434-b55b-d6e73be513b2
            purpose: agent
            state: connected
            user: 54f926bc-9b9a-421d-a94f-e513f6617f0a
      - id: d8b733cc-13be-412a-9abf-58b79eb17fa8
        queue: dbf17a5a-2163-4149-a955-ad5f0b5fdfe2
        direction: inbound
        participants:
          - id: baabe327-0dfd-4a33-9851-cff86a24365c
            purpose: customer
            state: connected
            address: "+4930444002"
          - id: 4d69d7cd-2c09-4eae-a7d0-3c63fb37a0a5
            purpose: acd
            state: connected
      # A call in queue Sales: a policy on Escalations leaves it alone.
      - id: d9423930-5954-47ed-8c3b-452b6d626bf1
        queue: d6c4f7ed-efd2-4d93-aef9-a2c5f7fa4521
        direction: inbound
        participants:
          - id: 7f6b58cd-a28b-42e2-bec4-e034ad4cced8
            purpose: customer
            state: connected
            address: "+4930444003"

    """#
}
