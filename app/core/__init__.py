"""Cross-cutting service plumbing: settings, database, errors, pagination."""
