"""Data shipped with caplab: the few reference histories the course uses (with their licences).

Example:
    >>> (bundled_porcupine_dir() / "expected.txt").exists()
    True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_porcupine_dir"]


def bundled_porcupine_dir() -> Path:
    """Two of Porcupine's Jepsen histories (MIT licence) in the corpus's own layout."""
    return Path(__file__).resolve().parent / "porcupine"
