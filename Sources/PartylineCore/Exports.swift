@_exported public import YAMLReader
