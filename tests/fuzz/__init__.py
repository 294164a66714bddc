"""The API fuzzed from its own OpenAPI document (schemathesis)."""
