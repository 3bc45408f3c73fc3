/// The policy set in force, replaced when the files change.
actor CurrentSet {
  private(set) var set: PolicySet
  init(_ set: PolicySet) { self.set = set }
  func replace(_ new: PolicySet) { set = new }
}
