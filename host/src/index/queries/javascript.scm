; JavaScript-only definitions (docs/design.md §10).
(field_definition property: (property_identifier) @name) @definition.field
(class_heritage (identifier) @name) @reference.class
