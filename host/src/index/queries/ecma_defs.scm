; Code index tags shared by JavaScript and TypeScript (docs/design.md §10); conventions as in
; rust.scm. Definitions.

(method_definition name: (property_identifier) @name) @definition.method
(class_declaration name: (_) @name) @definition.class
(class name: (_) @name) @definition.class
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(function_expression name: (identifier) @name) @definition.function
(lexical_declaration (variable_declarator
  name: (identifier) @name value: [(arrow_function) (function_expression)]) @definition.function)
(variable_declaration (variable_declarator
  name: (identifier) @name value: [(arrow_function) (function_expression)]) @definition.function)
(assignment_expression
  left: [(identifier) @name (member_expression property: (property_identifier) @name)]
  right: [(arrow_function) (function_expression)]) @definition.function
(pair key: (property_identifier) @name value: [(arrow_function) (function_expression)]) @definition.function
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (export_statement declaration: (lexical_declaration
  (variable_declarator name: (identifier) @name) @definition.constant)))
