"""Symbolic theory (SymPy): the single source of truth for every formula of THEORY.md."""

from . import ridge, spectral, symbols

__all__ = ["ridge", "spectral", "symbols"]
