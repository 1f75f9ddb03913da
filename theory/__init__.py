"""Symbolic theory (SymPy): the single source of truth for every formula of docs/mathematics.md."""

from . import random_projection, ridge, spectral, symbols

__all__ = ["random_projection", "ridge", "spectral", "symbols"]
