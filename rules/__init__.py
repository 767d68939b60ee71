"""Rules files: schema, loader, validation, bundled default rules. Pure."""
