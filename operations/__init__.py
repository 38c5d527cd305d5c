"""Operator tooling: health probes, the consistency check command and endpoint."""
