"""Exceptions that the store raises and the views turn into HTTP errors."""


class RegistryError(Exception):
    """Base class of the registry's own errors."""


class CpuOnlyRuleError(RegistryError):
    """A write would give a CPU-only hardware generation a GPU index or GPU memory."""


class StoreCorruptError(RegistryError):
    """Redis holds data the registry did not write, e.g. a pk counter behind a node."""
