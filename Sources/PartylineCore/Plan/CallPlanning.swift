/// What the planning of one live call shares between its policies and their directive kinds.
struct CallPlanning {
  /// The call, as read.
  let conv: LiveConversation
  /// The call's id.
  let cid: ConversationId
  /// Participants a revert or prune of this plan already takes care of.
  var handled = Set<String>()
  /// Participant → the mute entry (and its policy's name) that mutes it in this plan.
  var mutedBy: [String: (directive: MuteDirective, policy: String)] = [:]
  /// Participant → the unmute entry (and its policy's name) that unmutes it in this plan.
  var unmutedBy: [String: (directive: UnmuteDirective, policy: String)] = [:]
  /// The pause entry (and its policy's name) that holds the call's recording in this plan.
  var pausedBy: (directive: PauseDirective, policy: String)?
  /// Capacity and each role's `max` as the plan's adds are admitted.
  var admission: Admission
  /// The user the policy being planned acts on behalf of, or why it cannot.
  var acting: (user: String?, blocked: String?) = (nil, nil)

}
