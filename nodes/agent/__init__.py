"""The worker agent (nodes-agent): detects the machine, registers it, beats."""
