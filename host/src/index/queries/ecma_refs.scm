; Code index tags shared by JavaScript and TypeScript (docs/design.md §10). References.

(import_statement source: (string) @name) @reference.import
(export_statement source: (string) @name) @reference.import
((call_expression function: (identifier) arguments: (arguments . (string) .)) @name @reference.import
  (#match? @name "^require\\s*\\("))
(import_specifier name: (identifier) @name) @reference.import_name

((string) @name @reference.flag
  (#match? @name "--[A-Za-z]"))

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (member_expression property: (property_identifier) @name)) @reference.call
(new_expression constructor: (identifier) @name) @reference.class
(member_expression property: (property_identifier) @name) @reference.field
