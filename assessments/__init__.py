"""The assessment domain, one Django app per feature (see docs/architecture.md)."""
