"""Versions of a value and how replicas reconcile them: last-write-wins by timestamp
(Cassandra) or vector-clock siblings (Dynamo). A replica's store is durable (it survives crashes).
"""

from __future__ import annotations

import hashlib

from . import vclock

__all__ = ["Version", "lww_key", "reconcile", "values_of", "context_of", "digest", "Store"]


class Version:
    """One written value.

    Attributes:
        value: what the client wrote.
        ts: the coordinator's (possibly skewed) clock when it accepted the write (Cassandra
            uses the coordinator's timestamp when the client gives none); ordering for LWW.
        vc: the vector clock (siblings mode; ``()`` in LWW mode and for imported data).
        origin: the coordinator that accepted the write (LWW tie-break after the value).
        at_ms: true simulated time of the write: *not* used for ordering; it lets a notebook show
            that a write which happened later lost to an earlier one.
    """

    __slots__ = ("value", "ts", "vc", "origin", "at_ms", "_ident")

    def __init__(self, value, ts: int, vc=(), origin: str = "", at_ms: int = 0) -> None:
        self.value, self.ts, self.vc, self.origin, self.at_ms = value, ts, tuple(vc), origin, at_ms
        self._ident = (repr(value), ts, self.vc, origin, at_ms)

    def __eq__(self, other) -> bool:
        return isinstance(other, Version) and self._ident == other._ident

    def __hash__(self) -> int:  # only used inside one process (sets of versions)
        return hash(self._ident)

    def __repr__(self) -> str:
        clock = f", vc={vclock.show(self.vc)}" if self.vc else ""
        return f"V({self.value!r}, ts={self.ts}{clock})"


def lww_key(v: Version):
    """Order for last-write-wins: timestamp, then (Cassandra) the larger value, then origin."""
    return (v.ts, repr(v.value), v.origin)


def reconcile(versions, conflict: str) -> tuple:
    """The versions that survive: the LWW winner, or every version no other one descends from.

    Siblings are returned in a deterministic order (by clock, then value).
    """
    versions = list(versions)
    if not versions:
        return ()
    if conflict == "lww":
        return (max(versions, key=lww_key),)
    unique: dict = {}
    for v in versions:
        unique.setdefault(v._ident, v)
    kept = []
    for v in unique.values():
        dominated = False
        for w in unique.values():
            if w is v:
                continue
            rel = vclock.compare(w.vc, v.vc)
            # Dynamo: a version whose clock is an ancestor of another's is obsolete. Equal clocks
            # with different values cannot come from one coordinator (its counter only grows),
            # but imported data may share the empty clock: keep the LWW winner then.
            if rel == "after" or (rel == "equal" and lww_key(w) > lww_key(v)):
                dominated = True
                break
        if not dominated:
            kept.append(v)
    return tuple(sorted(kept, key=lambda v: (v.vc, repr(v.value), v.ts, v.origin)))


def values_of(versions):
    """What a read returns: None, the value, or a tuple of sibling values."""
    if not versions:
        return None
    if len(versions) == 1:
        return versions[0].value
    return tuple(v.value for v in versions)


def context_of(versions) -> tuple:
    """The read context (Dynamo): the merge of the siblings' clocks."""
    return vclock.merge(*(v.vc for v in versions))


def version_label(versions) -> str:
    """The ``version`` column of replica records: the timestamp, or the vector clock(s)."""
    if not versions:
        return ""
    if all(not v.vc for v in versions):
        return ",".join(str(v.ts) for v in versions)
    return " | ".join(vclock.show(v.vc) for v in versions)


def digest(versions) -> str:
    """A short stable digest of what a replica holds for one key (Merkle leaves)."""
    text = "|".join(repr(v._ident) for v in versions)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Store:
    """A replica's data: key -> reconciled tuple of versions."""

    def __init__(self, conflict: str) -> None:
        self.conflict = conflict
        self.data: dict[str, tuple] = {}

    def get(self, key: str) -> tuple:
        return self.data.get(key, ())

    def apply(self, key: str, versions) -> tuple[bool, list]:
        """Merge incoming ``versions``; return (changed, incoming versions that lost)."""
        old = self.data.get(key, ())
        new = reconcile(old + tuple(versions), self.conflict)
        lost = [v for v in versions if v not in new and v not in old]
        changed = new != old
        if changed:
            self.data[key] = new
        return changed, lost

    def keys(self) -> list[str]:
        return sorted(self.data)

    def drop(self, key: str) -> None:
        self.data.pop(key, None)
