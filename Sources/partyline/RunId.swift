import ArgumentParser
import Foundation
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews

enum RunId {
  static func make() -> String {
    let t = Int(Date().timeIntervalSince1970)
    // Runners sharing one state start in the same second: four random base-36 digits keep their
    // record ids apart.
    let n = String(Int.random(in: 0..<1_679_616), radix: 36)
    return "r\(String(t, radix: 36))\(String(repeating: "0", count: 4 - n.count))\(n)"
  }
}
