import ArgumentParser
import SystemPackage
import PartylineLocal
import PartylineViews

/// How `validate` and `plan` print: text, JSON, GitHub annotations or Markdown.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json, github, markdown
}
