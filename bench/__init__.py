"""Benchmarks of the node registry; python -m bench.run runs them all."""
