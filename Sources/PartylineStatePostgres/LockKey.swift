/// 64-bit advisory lock keys: FNV-1a over a namespaced string, so Partyline's keys are unlikely to
/// meet another application's in the same database.
public enum LockKey {
  /// The key for `s`: its 64-bit FNV-1a hash.
  public static func hash(_ s: String) -> Int64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 {
      h ^= UInt64(b)
      h = h &* 0x0000_0100_0000_01b3
    }
    return Int64(bitPattern: h)
  }

  /// The key locking one conversation (in every workspace: two workspaces never act on one call at once).
  public static func conversation(_ id: String) -> Int64 { hash("partyline:conversation:" + id.lowercased()) }

  /// `pg_locks` shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits).
  static func parts(_ key: Int64) -> (Int64, Int64) {
    let u = UInt64(bitPattern: key)
    return (Int64(u >> 32), Int64(u & 0xffff_ffff))
  }
}
