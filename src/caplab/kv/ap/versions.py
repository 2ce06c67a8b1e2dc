"""Versions of a value and how replicas reconcile them: last-write-wins by timestamp
(Cassandra) or vector-clock siblings (Dynamo). A replica's store is durable (it survives crashes).

A delete is a write too (Cassandra): a *tombstone*, a version with no value, which shadows every
older version until compaction purges it ``gc_grace_ms`` after it was written. Ties between
equal timestamps follow Cassandra's ``Cells.reconcile``: a tombstone beats a live value, and
between two live values the greater value (compared as bytes) wins.
"""

from __future__ import annotations

import hashlib

from . import vclock

__all__ = ["Version", "lww_key", "reconcile", "values_of", "context_of", "digest", "Store",
           "live", "value_bytes"]


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
        tombstone: a delete (Cassandra's deletion marker): no value, shadows older versions.
    """

    __slots__ = ("value", "ts", "vc", "origin", "at_ms", "tombstone", "_ident")

    def __init__(self, value, ts: int, vc=(), origin: str = "", at_ms: int = 0,
                 tombstone: bool = False) -> None:
        self.value, self.ts, self.vc, self.origin, self.at_ms = value, ts, tuple(vc), origin, at_ms
        self.tombstone = tombstone
        self._ident = (repr(value), ts, self.vc, origin, at_ms, tombstone)

    def __eq__(self, other) -> bool:
        return isinstance(other, Version) and self._ident == other._ident

    def __hash__(self) -> int:  # only used inside one process (sets of versions)
        return hash(self._ident)

    def __repr__(self) -> str:
        clock = f", vc={vclock.show(self.vc)}" if self.vc else ""
        if self.tombstone:
            return f"V(tombstone, ts={self.ts}{clock})"
        return f"V({self.value!r}, ts={self.ts}{clock})"


def value_bytes(value) -> bytes:
    """A value as Cassandra compares it on a timestamp tie: its serialized bytes, unsigned.

    Text is UTF-8; an integer is 8 bytes big-endian two's complement (CQL ``bigint``); bytes as
    they are; anything else by its ``repr`` in UTF-8.
    """
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63:
        return value.to_bytes(8, "big", signed=True)
    return repr(value).encode("utf-8")


def lww_key(v: Version):
    """Order for last-write-wins (Cassandra ``Cells.reconcile``): the higher timestamp wins; on
    a tie a tombstone beats a live value, then the greater value (as bytes) wins; the origin
    only makes the order total."""
    return (v.ts, v.tombstone, value_bytes(v.value), v.origin)


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


def live(versions) -> tuple:
    """The versions that are not tombstones."""
    return tuple(v for v in versions if not v.tombstone)


def values_of(versions):
    """What a read returns: None (missing or deleted), the value, or a tuple of siblings."""
    versions = live(versions)
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
        return ",".join(("tombstone@" if v.tombstone else "") + str(v.ts) for v in versions)
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
        self.tombstoned: set[str] = set()   # keys holding a tombstone (what compaction scans)

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
            if any(v.tombstone for v in new):
                self.tombstoned.add(key)
            else:
                self.tombstoned.discard(key)
        return changed, lost

    def keys(self) -> list[str]:
        return sorted(self.data)

    def drop(self, key: str) -> None:
        self.data.pop(key, None)
        self.tombstoned.discard(key)

    def purge_tombstones(self, before_ts: int) -> list[str]:
        """Compaction: drop tombstones written before ``before_ts`` (and, with them, the key
        when nothing else is left). Returns the keys purged."""
        purged = []
        for key in sorted(self.tombstoned):
            versions = self.data[key]
            kept = tuple(v for v in versions if not (v.tombstone and v.ts < before_ts))
            if kept != versions:
                purged.append(key)
                if kept:
                    self.data[key] = kept
                else:
                    del self.data[key]
                if not any(v.tombstone for v in kept):
                    self.tombstoned.discard(key)
        return purged
