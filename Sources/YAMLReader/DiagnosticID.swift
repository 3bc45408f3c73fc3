/// Every kind of finding, by its stable snake_case id: the one list. A diagnostic can only be made with
/// an id from it, and a test diffs it against the catalogue users read (the README's diagnostics
/// tables, and docs/emulator.md for the emulator's fixture errors).
public enum DiagnosticID: String, CaseIterable, Sendable, Hashable, Codable {
  // Reading YAML (YAMLReader).
  case yamlSyntax = "yaml_syntax"
  case invalidUTF8 = "invalid_utf8"
  case invalidCharacter = "invalid_character"
  case unsupportedTag = "unsupported_tag"
  case duplicateKey = "duplicate_key"
  case recursiveAlias = "recursive_alias"
  case fileTooLarge = "file_too_large"
  case nestingTooDeep = "nesting_too_deep"
  case aliasLimitExceeded = "alias_limit_exceeded"
  case tooManyNodes = "too_many_nodes"
  case scalarTooLong = "scalar_too_long"
  case internalError = "internal_error"

  // Finding the policy files (PartylineLocal).
  case unreadableFile = "unreadable_file"
  case pathNotFound = "path_not_found"
  case noPolicyFiles = "no_policy_files"
  case policyLinkBroken = "policy_link_broken"
  case policyLinkOutside = "policy_link_outside"
  case policyNotRegular = "policy_not_regular"

  // Compiling policies (PartylineCore/Compile and the directive kinds).
  case unknownKey = "unknown_key"
  case unknownPurpose = "unknown_purpose"
  case missingKey = "missing_key"
  case typeMismatch = "type_mismatch"
  case invalidValue = "invalid_value"
  case invalidName = "invalid_name"
  case invalidId = "invalid_id"
  case invalidEmail = "invalid_email"
  case invalidPhone = "invalid_phone"
  case invalidDuration = "invalid_duration"
  case unsupportedApiVersion = "unsupported_api_version"
  case unsupportedKind = "unsupported_kind"
  case missingSelector = "missing_selector"
  case multipleSelectors = "multiple_selectors"
  case muteUnmuteConflict = "mute_unmute_conflict"
  case conflictingMute = "conflicting_mute"
  case durationExceedsMaxMute = "duration_exceeds_max_mute"
  case maxMuteTooLarge = "max_mute_too_large"
  case maxParticipantsTooLarge = "max_participants_too_large"
  case roleNotAllowed = "role_not_allowed"
  case roleMaxExceeded = "role_max_exceeded"
  case tooManyAdds = "too_many_adds"
  case duplicatePolicyName = "duplicate_policy_name"
  case duplicateLimits = "duplicate_limits"
  case conflictingKeys = "conflicting_keys"
  case emptySelect = "empty_select"
  case invalidQueue = "invalid_queue"
  case participantInSelect = "participant_in_select"

  // Planning against the live state (PartylineCore/Plan, discovery, the journal).
  case conversationNotFound = "conversation_not_found"
  case capacityExceeded = "capacity_exceeded"
  case userNotFound = "user_not_found"
  case queueNotFound = "queue_not_found"
  case ambiguousQueue = "ambiguous_queue"
  case actingUserUnavailable = "acting_user_unavailable"
  case participantPending = "participant_pending"
  case callUnanswered = "call_unanswered"
  case noMatch = "no_match"
  case drift
  case revertStuck = "revert_stuck"
  case journalUnreadable = "journal_unreadable"
  case clockSkew = "clock_skew"

  // The emulator's fixtures (GenesysSim), besides the compiler's ids it shares.
  case duplicateId = "duplicate_id"
  case unknownUser = "unknown_user"
  case unknownQueue = "unknown_queue"
  case unknownPermission = "unknown_permission"
  case fixtureDocuments = "fixture_documents"
}
