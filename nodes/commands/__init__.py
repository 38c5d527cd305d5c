"""Command-line tools that work on a running registry through its HTTP API."""
