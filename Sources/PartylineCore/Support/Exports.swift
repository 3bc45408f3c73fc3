@_exported public import YAMLReader
@_exported public import OrderedJSON
