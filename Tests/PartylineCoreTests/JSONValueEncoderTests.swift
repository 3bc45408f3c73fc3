import OrderedJSON
import Testing

/// The ordered encoder behind the saved plan's one codec.
@Suite struct JSONValueEncoderTests {
  struct Inner: Encodable {
    var z = 1
    var a: [Double] = [0.5, 2]
  }
  struct Outer: Encodable {
    var zeta = "last letter, first key"
    var alpha: Int? = nil
    var inner = Inner()
    var flag = true

    enum CodingKeys: String, CodingKey { case zeta, alpha, inner, flag }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(zeta, forKey: .zeta)
      try c.encode(alpha, forKey: .alpha)  // nil: written as null
      try c.encode(inner, forKey: .inner)
      try c.encode(flag, forKey: .flag)
    }
  }

  @Test func keysKeepTheirEncodingOrderAndNumbersTheirKind() throws {
    let json = try JSONValueEncoder().encode(Outer()).render()
    #expect(
      json == #"{"zeta":"last letter, first key","alpha":null,"inner":{"z":1,"a":[0.5,2.0]},"flag":true}"#)
  }
}
