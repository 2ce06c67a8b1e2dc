"""Histories of client operations (and, in submodules, sequential models and parsers)."""

from .record import COLUMNS, OPS, OUTCOMES, History, Operation

__all__ = ["History", "Operation", "COLUMNS", "OPS", "OUTCOMES"]
