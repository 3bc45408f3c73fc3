/// Encodes an `Encodable` value as a `JSONValue`, keeping keys in the order they are encoded (which
/// Foundation's `JSONEncoder` does not): a type's `encode(to:)` is then the one definition of its
/// format, and `render(indent:)` writes it. Integers stay integers, and `Double`s are written as
/// `JSONValue.double`.
public struct JSONValueEncoder: Sendable {
  /// An encoder.
  public init() {}

  /// `value` as a JSON value.
  public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
    let box = Box()
    try value.encode(to: ValueEncoder(box: box, codingPath: []))
    return box.resolved()
  }
}

/// A value being built: a finished value, or an object or array still being filled.
final class Box {
  enum Content {
    case value(JSONValue)
    case object(PendingObject)
    case array(PendingArray)
  }
  var content: Content?

  init(_ value: JSONValue? = nil) { content = value.map(Content.value) }

  /// The value, with nested containers resolved in the order they were filled.
  func resolved() -> JSONValue {
    switch content {
    case .value(let v)?: v
    case .object(let o)?: .object(o.pairs.map { ($0.0, $0.1.resolved()) })
    case .array(let a)?: .array(a.items.map { $0.resolved() })
    case nil: .null
    }
  }
}

/// An object's entries, in the order they were encoded.
final class PendingObject {
  var pairs: [(String, Box)] = []
}

/// An array's items, in order.
final class PendingArray {
  var items: [Box] = []
}

struct ValueEncoder: Encoder {
  let box: Box
  var codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    let object: PendingObject
    if case .object(let existing)? = box.content {
      object = existing  // a second request for the same container (a superclass, a wrapper)
    } else {
      object = PendingObject()
      box.content = .object(object)
    }
    return KeyedEncodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    let array: PendingArray
    if case .array(let existing)? = box.content {
      array = existing
    } else {
      array = PendingArray()
      box.content = .array(array)
    }
    return UnkeyedContainer(array: array, codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    SingleContainer(box: box, codingPath: codingPath)
  }
}

struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let object: PendingObject
  var codingPath: [any CodingKey]

  func put(_ key: Key, _ value: JSONValue) { object.pairs.append((key.stringValue, Box(value))) }

  mutating func encodeNil(forKey key: Key) throws { put(key, .null) }
  mutating func encode(_ value: Bool, forKey key: Key) throws { put(key, .bool(value)) }
  mutating func encode(_ value: String, forKey key: Key) throws { put(key, .string(value)) }
  mutating func encode(_ value: Double, forKey key: Key) throws { put(key, .double(value)) }
  mutating func encode(_ value: Float, forKey key: Key) throws { put(key, .double(Double(value))) }
  mutating func encode(_ value: Int, forKey key: Key) throws { put(key, .int(value)) }
  mutating func encode(_ value: Int8, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode(_ value: Int16, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode(_ value: Int32, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode(_ value: UInt, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode(_ value: UInt8, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode(_ value: UInt16, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode(_ value: UInt32, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode(_ value: UInt64, forKey key: Key) throws { put(key, .int(Int(value))) }
  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    let box = Box()
    object.pairs.append((key.stringValue, box))
    try value.encode(to: ValueEncoder(box: box, codingPath: codingPath + [key]))
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
    -> KeyedEncodingContainer<NestedKey>
  {
    let box = Box()
    object.pairs.append((key.stringValue, box))
    return ValueEncoder(box: box, codingPath: codingPath + [key]).container(keyedBy: keyType)
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    let box = Box()
    object.pairs.append((key.stringValue, box))
    return ValueEncoder(box: box, codingPath: codingPath + [key]).unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

  mutating func superEncoder(forKey key: Key) -> any Encoder {
    let box = Box()
    object.pairs.append((key.stringValue, box))
    return ValueEncoder(box: box, codingPath: codingPath + [key])
  }
}

struct UnkeyedContainer: UnkeyedEncodingContainer {
  let array: PendingArray
  var codingPath: [any CodingKey]
  var count: Int { array.items.count }

  func put(_ value: JSONValue) { array.items.append(Box(value)) }

  mutating func encodeNil() throws { put(.null) }
  mutating func encode(_ value: Bool) throws { put(.bool(value)) }
  mutating func encode(_ value: String) throws { put(.string(value)) }
  mutating func encode(_ value: Double) throws { put(.double(value)) }
  mutating func encode(_ value: Int) throws { put(.int(value)) }
  mutating func encode<T: Encodable>(_ value: T) throws {
    let box = Box()
    array.items.append(box)
    try value.encode(to: ValueEncoder(box: box, codingPath: codingPath))
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    let box = Box()
    array.items.append(box)
    return ValueEncoder(box: box, codingPath: codingPath).container(keyedBy: keyType)
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    let box = Box()
    array.items.append(box)
    return ValueEncoder(box: box, codingPath: codingPath).unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder {
    let box = Box()
    array.items.append(box)
    return ValueEncoder(box: box, codingPath: codingPath)
  }
}

struct SingleContainer: SingleValueEncodingContainer {
  let box: Box
  var codingPath: [any CodingKey]

  mutating func encodeNil() throws { box.content = .value(.null) }
  mutating func encode(_ value: Bool) throws { box.content = .value(.bool(value)) }
  mutating func encode(_ value: String) throws { box.content = .value(.string(value)) }
  mutating func encode(_ value: Double) throws { box.content = .value(.double(value)) }
  mutating func encode(_ value: Int) throws { box.content = .value(.int(value)) }
  mutating func encode<T: Encodable>(_ value: T) throws {
    try value.encode(to: ValueEncoder(box: box, codingPath: codingPath))
  }
}
