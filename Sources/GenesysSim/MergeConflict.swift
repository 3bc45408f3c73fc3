/// The live, mutable organisation behind the emulator: the fixture plus what requests did to it.
/// Changes that the real service applies later (a PATCH after its 202, a ringing party answering) are
/// scheduled and applied lazily, whenever the organisation is read at a later time.
struct MergeConflict: Error {
  var message: String
  var code = "duplicate_id"
}
