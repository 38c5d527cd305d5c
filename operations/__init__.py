"""Operator tooling: health probes, the /v1/admin endpoints, and the nodes-check
and nodes-reap commands, which work on the registry's Redis directly."""
