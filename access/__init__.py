"""Access control: bearer tokens with a role, checked before every view runs."""
