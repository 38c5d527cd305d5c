"""Filter specifications for POST /v1/nodes/list (docs/filtering.md)."""
