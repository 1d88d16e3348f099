; Code index tags for Go (docs/design.md §10); conventions as in rust.scm.

(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_declaration (type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface)
(type_declaration (type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct)
(type_declaration (type_spec name: (type_identifier) @name) @definition.type)
(type_declaration (type_alias name: (type_identifier) @name) @definition.type)
(method_elem name: (field_identifier) @name) @definition.method
(field_declaration name: (field_identifier) @name) @definition.field
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.constant))

(import_spec path: (_) @name) @reference.import

((interpreted_string_literal) @name @reference.flag
  (#match? @name "--[A-Za-z]"))
((call_expression
   function: (selector_expression)
   arguments: (argument_list)) @name @reference.flag_call
  (#match? @name "^(flag|[A-Za-z_.]*Flags\\(\\))\\.[A-Z][A-Za-z0-9]*\\(\\s*(&[A-Za-z0-9_.]+\\s*,\\s*)?\"[A-Za-z]"))

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (selector_expression field: (field_identifier) @name)) @reference.call
(qualified_type name: (type_identifier) @name) @reference.type
(type_identifier) @name @reference.type
(selector_expression field: (field_identifier) @name) @reference.field
