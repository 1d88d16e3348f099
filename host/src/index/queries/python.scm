; Code index tags for Python (docs/design.md §10); conventions as in rust.scm.

(class_definition name: (identifier) @name) @definition.class
(class_definition body: (block (function_definition name: (identifier) @name) @definition.method))
(class_definition body: (block (decorated_definition
  definition: (function_definition name: (identifier) @name) @definition.method)))
(function_definition name: (identifier) @name) @definition.function
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))
(class_definition body: (block (expression_statement
  (assignment left: (identifier) @name) @definition.field)))

(import_from_statement module_name: (_) @name) @reference.import
(import_statement name: (dotted_name) @name) @reference.import
(import_statement name: (aliased_import name: (dotted_name) @name)) @reference.import
(import_from_statement name: (dotted_name) @name) @reference.import_name
(import_from_statement name: (aliased_import name: (dotted_name) @name)) @reference.import_name

((string) @name @reference.flag
  (#match? @name "--[A-Za-z]"))

(call function: (identifier) @name) @reference.call
(call function: (attribute attribute: (identifier) @name)) @reference.call
(class_definition superclasses: (argument_list (identifier) @name)) @reference.class
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @name))) @reference.class
(decorator (identifier) @name) @reference.call
(type (identifier) @name) @reference.type
(attribute attribute: (identifier) @name) @reference.field
