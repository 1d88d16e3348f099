; TypeScript-only tags (docs/design.md §10), between the shared definitions and references.
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(enum_body (property_identifier) @name @definition.enum_variant)
(enum_body (enum_assignment name: (property_identifier) @name) @definition.enum_variant)
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(function_signature name: (identifier) @name) @definition.function
(method_signature name: (property_identifier) @name) @definition.method
(abstract_method_signature name: (property_identifier) @name) @definition.method
(public_field_definition name: (property_identifier) @name) @definition.field
(property_signature name: (property_identifier) @name) @definition.field
(internal_module name: (identifier) @name) @definition.module
(type_identifier) @name @reference.type
(extends_clause value: (identifier) @name) @reference.class
(implements_clause (type_identifier) @name) @reference.type
