"""Consistent hashing with virtual nodes (Dynamo section 4.2; Cassandra vnodes): each physical
node owns ``vnodes`` tokens on a 64-bit ring, and a key's preference list is the first
``replication_factor`` *distinct* physical nodes clockwise from the key's token.

Tokens come from a stable hash (MD5 via :func:`caplab.sim.stable_hash`, like Cassandra's old
RandomPartitioner) of ``"<node>#<vnode index>"``, so the same names give the same ring in every
process. Python's salted ``hash()`` is never used.

Example:
    >>> ring = HashRing(["n1", "n2", "n3", "n4"], vnodes=8)
    >>> len(set(ring.preference_list("x", 3)))
    3
"""

from __future__ import annotations

from bisect import bisect_left

from ...sim.rng import stable_hash

__all__ = ["HashRing", "token_of", "RING_SIZE"]

RING_SIZE = 1 << 64


def token_of(key: str) -> int:
    """The key's position on the ring."""
    return stable_hash(key)


class HashRing:
    """Tokens and owners. Membership changes rebuild the sorted token list."""

    def __init__(self, nodes, vnodes: int, *, dc_of: dict | None = None,
                 dc_rf: dict | None = None) -> None:
        self.vnodes = vnodes
        # NetworkTopologyStrategy: node -> datacenter, and the replication factor of each
        self.dc_of, self.dc_rf = dc_of, dc_rf
        self.nodes: list[str] = []
        self._tokens: list[int] = []
        self._owners: list[str] = []
        self._vnode: list[int] = []
        for node in nodes:
            self.nodes.append(node)
        self._rebuild()

    def _rebuild(self) -> None:
        entries = sorted((stable_hash(f"{node}#{i}"), node, i)
                         for node in self.nodes for i in range(self.vnodes))
        self._tokens = [t for t, _, _ in entries]
        self._owners = [n for _, n, _ in entries]
        self._vnode = [i for _, _, i in entries]
        self._cache: dict = {}

    def add(self, node: str) -> None:
        self.nodes.append(node)
        self._rebuild()

    def remove(self, node: str) -> None:
        self.nodes.remove(node)
        self._rebuild()

    def walk(self, key: str):
        """Distinct physical nodes clockwise from the key's token (the whole ring, once)."""
        tokens, owners = self._tokens, self._owners
        n = len(tokens)
        start = bisect_left(tokens, token_of(key))   # range (prev, token] belongs to token
        seen = []
        for i in range(n):
            owner = owners[(start + i) % n]
            if owner not in seen:
                seen.append(owner)
                yield owner
                if len(seen) == len(self.nodes):
                    return

    def preference_list(self, key: str, rf: int) -> list[str]:
        """The ``rf`` replicas of ``key``: distinct physical nodes clockwise (Dynamo 4.3); with
        datacenters, the first ``dc_rf[dc]`` of each datacenter clockwise (Cassandra's
        NetworkTopologyStrategy, without racks), in ring order."""
        cached = self._cache.get((key, rf))
        if cached is None:
            cached = []
            room = dict(self.dc_rf) if self.dc_rf else None
            for owner in self.walk(key):
                if room is not None:
                    dc = self.dc_of[owner]
                    if room[dc] == 0:
                        continue
                    room[dc] -= 1
                cached.append(owner)
                if len(cached) == rf:
                    break
            cached = tuple(cached)
            if len(self._cache) < 100_000:
                self._cache[(key, rf)] = cached
        return list(cached)

    def entries(self) -> list[dict]:
        """Every token: ``token``, ``node``, ``vnode`` and the fraction of the ring it owns
        (the range ending at the token, Cassandra's convention)."""
        out = []
        n = len(self._tokens)
        for i in range(n):
            prev = self._tokens[i - 1] if i else self._tokens[-1] - RING_SIZE
            out.append({"token": self._tokens[i], "node": self._owners[i],
                        "vnode": self._vnode[i],
                        "angle_deg": round(self._tokens[i] * 360 / RING_SIZE, 3),
                        "share": (self._tokens[i] - prev) / RING_SIZE})
        return out

    def ownership(self) -> dict[str, float]:
        """Fraction of the ring for which each node is the first replica."""
        share = {node: 0.0 for node in self.nodes}
        for entry in self.entries():
            share[entry["node"]] += entry["share"]
        return share
