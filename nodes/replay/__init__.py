"""nodes-replay: replay a cluster's job trace against a running registry."""
