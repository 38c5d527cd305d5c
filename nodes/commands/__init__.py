"""Console scripts of the node registry (see [project.scripts] in pyproject.toml)."""
