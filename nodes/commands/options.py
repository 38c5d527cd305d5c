"""Argument types that the command-line tools share."""

import argparse


def positive(text: str) -> float:
    """Parse a finite number greater than 0, for argparse ``type=``."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value
