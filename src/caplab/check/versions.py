"""Which value a read saw, and whether one value is *definitely older* than another.

Shared by the stale-read, lost-write and session checkers. They assume, as Jepsen's register
workloads do, that every value written to a key is unique, so a value read names the write that
produced it. Then "older" follows real time: value ``a`` is definitely older than value ``b``
when ``a``'s write completed before ``b``'s write was invoked (``None``, the absent key, is
older than every written value). Writes that overlapped in time are not ordered: either may
legitimately be the later one. For keys written with ``append`` the value read is the whole
string (or tuple), and ``a`` is older than ``b`` when ``a`` is a proper prefix of ``b``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["KeyVersions", "versions_by_key", "values_of"]

WRITES = ("put", "append", "cas", "delete")


def values_of(value: Any) -> tuple:
    """The values a read returned: one, or several concurrent siblings (a tuple)."""
    if isinstance(value, tuple):
        return value if value else (None,)
    return (value,)


def _hashable(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


@dataclass
class KeyVersions:
    """The writes of one key, indexed by the value they wrote."""

    key: Any
    appends: bool
    writes: list  # ok writes: records, sorted by (complete_ms, invoke_ms, id)
    by_value: dict  # value -> write record (any outcome; ok wins over info/fail)

    def written_value(self, rec: dict) -> Any:
        return rec["value"][1] if rec["op"] == "cas" else rec["value"]

    def write_of(self, value: Any) -> dict | None:
        return self.by_value.get(_hashable(value))

    def older(self, a: Any, b: Any) -> bool:
        """True if value ``a`` is definitely older than value ``b`` on this key."""
        if a == b:
            return False
        if self.appends:
            if a is None:
                return b is not None
            try:
                return len(a) < len(b) and b[:len(a)] == a
            except TypeError:
                return False
        if a is None and self.write_of(None) is None:   # never written (no delete wrote None)
            return b is not None and self.write_of(b) is not None
        wa, wb = self.write_of(a), self.write_of(b)
        if wa is None or wb is None or wa["outcome"] != "ok":
            return False  # an unknown or timed-out write may take effect at any time
        return wa["complete_ms"] < wb["invoke_ms"]

    def write_is_older(self, value: Any, write: dict) -> bool:
        """True if ``value`` is definitely older than what ``write`` wrote."""
        if self.appends:
            return not self.contains(value, self.written_value(write))
        if value is None and self.write_of(None) is None:   # the initial state: no delete yet
            return True
        w = self.write_of(value)
        if w is None or w["outcome"] != "ok":
            return False
        return w["complete_ms"] < write["invoke_ms"]

    def contains(self, observed: Any, item: Any) -> bool:
        """For append keys: does the observed whole value include the appended ``item``?"""
        if observed is None:
            return False
        if isinstance(observed, str) and isinstance(item, str):
            return item in observed
        try:
            return item in observed
        except TypeError:
            return observed == item


def versions_by_key(records: list[dict]) -> dict[Any, KeyVersions]:
    """Index the writes of normalised ``records`` per key (see the module docstring)."""
    out: dict[Any, KeyVersions] = {}
    for rec in records:
        kv = out.get(rec["key"])
        if kv is None:
            kv = out[rec["key"]] = KeyVersions(rec["key"], False, [], {})
        if rec["op"] not in WRITES:
            continue
        if rec["op"] == "append":
            kv.appends = True
        value = _hashable(kv.written_value(rec))
        known = kv.by_value.get(value)
        if known is None or (known["outcome"] != "ok" and rec["outcome"] == "ok"):
            kv.by_value[value] = rec
        if rec["outcome"] == "ok":
            kv.writes.append(rec)
    for kv in out.values():
        kv.writes.sort(key=lambda r: (r["complete_ms"], r["invoke_ms"], r["row"]))
    return out
