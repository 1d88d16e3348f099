; Code index tags for Java (docs/design.md §10); conventions as in rust.scm.

(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.type
(enum_constant name: (identifier) @name) @definition.enum_variant
(method_declaration name: (identifier) @name) @definition.method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant

(import_declaration (scoped_identifier) @name) @reference.import

((string_literal) @name @reference.flag
  (#match? @name "--[A-Za-z]"))

(method_invocation name: (identifier) @name) @reference.call
(object_creation_expression type: (type_identifier) @name) @reference.class
(superclass (type_identifier) @name) @reference.class
(type_identifier) @name @reference.type
(field_access field: (identifier) @name) @reference.field
