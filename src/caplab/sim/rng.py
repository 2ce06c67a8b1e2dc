"""Named random streams derived from one seed, so a new consumer never shifts the others."""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, name: str) -> int:
    """A 64-bit seed for stream ``name`` of a simulation seeded with ``seed``.

    SHA-256 rather than Python's ``hash()``: the latter is salted per process, which would break
    byte-for-byte reproducibility across processes.
    """
    digest = hashlib.sha256(f"{seed}/{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def stable_hash(text: str) -> int:
    """A process-independent 64-bit hash of ``text`` (for rings, placement, tie-breaks)."""
    return int.from_bytes(hashlib.md5(text.encode("utf-8")).digest()[:8], "big")


class Streams:
    """A registry of ``random.Random`` streams, one per name, all derived from one seed."""

    __slots__ = ("seed", "_streams")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def get(self, name: str) -> random.Random:
        stream = self._streams.get(name)
        if stream is None:
            stream = random.Random(derive_seed(self.seed, name))
            self._streams[name] = stream
        return stream

    def names(self) -> list[str]:
        return sorted(self._streams)
