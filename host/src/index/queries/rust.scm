; Code index tags for Rust (docs/design.md §10). Capture conventions of tree-sitter-tags:
; @definition.KIND / @reference.KIND with @name. On one name node the earlier pattern wins, so
; definitions come first and the broad references last.

(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(type_item name: (type_identifier) @name) @definition.type
(enum_variant name: (identifier) @name) @definition.enum_variant
(trait_item name: (type_identifier) @name) @definition.trait
(impl_item body: (declaration_list (function_item name: (identifier) @name) @definition.method))
(trait_item body: (declaration_list (function_item name: (identifier) @name) @definition.method))
(trait_item body: (declaration_list (function_signature_item name: (identifier) @name) @definition.method))
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(mod_item name: (identifier) @name) @definition.module
(macro_definition name: (identifier) @name) @definition.macro
(field_declaration name: (field_identifier) @name) @definition.field

; `impl Type` / `impl Trait for Type`: a scope for the methods inside, and a use of the type.
(impl_item type: (type_identifier) @name) @definition.impl
(impl_item type: (generic_type type: (type_identifier) @name)) @definition.impl
(impl_item type: (scoped_type_identifier name: (type_identifier) @name)) @definition.impl

(use_declaration argument: (_) @name) @reference.import

((string_literal) @name @reference.flag
  (#match? @name "--[A-Za-z]"))
((call_expression
   function: (field_expression field: (field_identifier))
   arguments: (arguments . (string_literal) .)) @name @reference.flag_call
  (#match? @name "\\.long\\(\\s*\"[A-Za-z][A-Za-z0-9_-]*\"\\s*\\)$"))

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
(macro_invocation macro: (identifier) @name) @reference.call
(scoped_identifier name: (identifier) @name) @reference.path
(scoped_type_identifier name: (type_identifier) @name) @reference.type
(type_identifier) @name @reference.type
(field_expression field: (field_identifier) @name) @reference.field
