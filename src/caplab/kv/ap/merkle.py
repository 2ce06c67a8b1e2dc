"""Merkle trees for anti-entropy (Dynamo section 4.7; Cassandra's repair): the key range two
replicas share is cut into ``2**depth`` leaf buckets by token; a leaf hashes the (key, digest)
pairs in it, a parent hashes its two children (SHA-256). Two replicas compare roots first and
descend only into subtrees whose hashes differ, so in-sync ranges cost one comparison.

Example:
    >>> a = build({"x": "1", "y": "2"}, depth=3); b = build({"x": "1", "y": "3"}, depth=3)
    >>> leaves, compared = diff(a, b)
    >>> len(leaves), compared <= 2 * 3 + 1
    (1, True)
"""

from __future__ import annotations

import hashlib

from .hashring import token_of

__all__ = ["bucket", "build", "diff", "DEFAULT_DEPTH"]

DEFAULT_DEPTH = 4   # 16 leaves: enough to show pruning on a classroom-size key set


def _h(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()[:16]


def bucket(key: str, depth: int) -> int:
    """The leaf a key falls in: the top ``depth`` bits of its token (a contiguous range)."""
    return token_of(key) >> (64 - depth) if depth else 0


def build(digests: dict, depth: int = DEFAULT_DEPTH) -> tuple:
    """A tree over ``key -> digest``: a tuple of levels, root level first, leaves last."""
    leaves: list[list[str]] = [[] for _ in range(1 << depth)]
    for key in sorted(digests):
        leaves[bucket(key, depth)].append(f"{key}={digests[key]}")
    level = tuple(_h("\n".join(items).encode("utf-8")) for items in leaves)
    levels = [level]
    while len(level) > 1:
        level = tuple(_h((level[i] + level[i + 1]).encode("ascii"))
                      for i in range(0, len(level), 2))
        levels.append(level)
    return tuple(reversed(levels))


def diff(a: tuple, b: tuple) -> tuple[list[int], int]:
    """Leaves whose hashes differ, descending only into differing subtrees.

    Returns (differing leaf indices, number of tree nodes compared).
    """
    compared = 0
    frontier = [0]
    for depth in range(len(a)):
        nxt = []
        for index in frontier:
            compared += 1
            if a[depth][index] != b[depth][index]:
                nxt.append(index)
        if depth == len(a) - 1:
            return nxt, compared
        frontier = [child for index in nxt for child in (2 * index, 2 * index + 1)]
        if not frontier:
            return [], compared
    return [], compared
