"""Stale reads: a read that returned a value already overwritten before the read began.

A read ``r`` of key ``k`` is *stale* when the value it returned was definitely replaced before
``r`` was invoked: some acknowledged write ``w'`` began after the write of the value read had
completed, and ``w'`` itself completed before ``r`` began (real time, so no clock can excuse it).
A read of an absent key (``None``) is stale once any write to the key has completed before it
began. How stale: in *versions*, the number of such superseding writes; in *ms*, the time from
the first of them completing to ``r`` being invoked.

Assumes every value written to a key is unique (Jepsen's register workloads do the same), so a
value names its write. Keys written with ``append`` are left to the linearizability checker; a
read returning concurrent siblings (a tuple) is stale only if every sibling is.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .records import normalize_history
from ..history.result import CheckResult
from .versions import values_of, versions_by_key

__all__ = ["StaleRead", "StaleReadResult", "check_stale_reads"]


@dataclass(frozen=True)
class StaleRead:
    """One stale read: op ``id`` read ``value`` though ``versions_behind`` newer writes had
    completed, the first of them ``stale_ms`` before the read began."""

    id: object
    client: object
    key: object
    value: object
    invoke_ms: int
    versions_behind: int
    stale_ms: int
    newer_write_ids: tuple
    latest_value: object


@dataclass(frozen=True, kw_only=True)
class StaleReadResult(CheckResult):
    """Result of :func:`check_stale_reads` (a :class:`~caplab.history.result.CheckResult`).

    ``details``: ``stale`` (the :class:`StaleRead` records, in history order),
    ``reads_checked``, ``max_versions_behind``, ``max_stale_ms``.
    """

    @classmethod
    def from_findings(cls, stale: tuple, reads_checked: int) -> "StaleReadResult":
        """The result for these stale reads among ``reads_checked`` reads."""
        reasons = tuple(f"op {s.id!r} by {s.client!r} read {s.key!r}={s.value!r} at "
                        f"{s.invoke_ms} ms, but {s.versions_behind} newer write(s) had "
                        f"completed (ids {list(s.newer_write_ids)}), the first {s.stale_ms} ms "
                        f"earlier; latest value {s.latest_value!r}" for s in stale)
        details = {"stale": tuple(stale), "reads_checked": reads_checked,
                   "max_versions_behind": max((s.versions_behind for s in stale), default=0),
                   "max_stale_ms": max((s.stale_ms for s in stale), default=0)}
        return cls(checker="stale reads", valid=not stale,
                   offending=tuple(s.id for s in stale), reasons=reasons, details=details)

    @property
    def stale(self) -> tuple:
        return self.details["stale"]

    @property
    def reads_checked(self) -> int:
        return self.details["reads_checked"]

    @property
    def max_versions_behind(self) -> int:
        return self.details["max_versions_behind"]

    @property
    def max_stale_ms(self) -> int:
        return self.details["max_stale_ms"]

    def explain(self) -> str:
        if self.ok:
            return f"no stale reads among {self.reads_checked} reads."
        lines = [f"{len(self.stale)} stale read(s) among {self.reads_checked} reads "
                 f"(worst: {self.max_versions_behind} version(s), {self.max_stale_ms} ms):"]
        lines += [f"  - {reason}" for reason in self.reasons]
        return "\n".join(lines)

    def brief(self) -> str:
        return (f"{len(self.stale)} of {self.reads_checked} reads stale; worst "
                f"{self.max_versions_behind} version(s), {self.max_stale_ms} ms")

    def to_frame(self):
        """One row per stale read: the fields of :class:`StaleRead`."""
        import pandas as pd
        cols = ["id", "client", "key", "value", "invoke_ms", "versions_behind", "stale_ms",
                "newer_write_ids", "latest_value"]
        return pd.DataFrame([{c: getattr(s, c) for c in cols} for s in self.stale], columns=cols)


def check_stale_reads(history) -> StaleReadResult:
    """Find reads that returned a value overwritten before they began, and how stale they were.

    Args:
        history: a :class:`~caplab.history.History`, a list of record dicts, or a DataFrame.

    Returns:
        A :class:`StaleReadResult` (``.ok``, ``.stale``, ``.bad_ops``, ``.explain()``,
        ``.to_frame()``).

    Raises:
        HistoryError: the history is malformed.

    Example:
        >>> h = [dict(client="a", op="put", key="x", value=1, invoke_ms=0, complete_ms=5,
        ...           outcome="ok"),
        ...      dict(client="a", op="put", key="x", value=2, invoke_ms=10, complete_ms=15,
        ...           outcome="ok"),
        ...      dict(client="b", op="get", key="x", value=1, invoke_ms=40, complete_ms=45,
        ...           outcome="ok")]
        >>> check_stale_reads(h).stale[0].stale_ms
        25
    """
    records = normalize_history(history)
    versions = versions_by_key(records)
    completes = {k: [w["complete_ms"] for w in kv.writes] for k, kv in versions.items()}
    stale = []
    checked = 0
    for rec in records:
        if rec["op"] != "get" or rec["outcome"] != "ok":
            continue
        kv = versions[rec["key"]]
        if kv.appends:
            continue
        checked += 1
        found = None
        for value in values_of(rec["value"]):
            newer = _superseding(kv, completes[rec["key"]], value, rec["invoke_ms"])
            if newer is None or not newer:
                found = None
                break
            if found is None or len(newer) < len(found[1]):
                found = (value, newer)
        if found is None:
            continue
        newer = found[1]
        latest = max(newer, key=lambda w: (w["complete_ms"], w["row"]))
        stale.append(StaleRead(rec["id"], rec["client"], rec["key"], rec["value"],
                               rec["invoke_ms"], len(newer),
                               rec["invoke_ms"] - newer[0]["complete_ms"],
                               tuple(w["id"] for w in newer), kv.written_value(latest)))
    return StaleReadResult.from_findings(tuple(stale), checked)


def _superseding(kv, completes, value, read_invoke_ms):
    """The acknowledged writes that definitely replaced ``value`` before ``read_invoke_ms``
    (in ``kv.writes`` order, so the first completed first), or ``None`` if ``value`` was not
    written by a known acknowledged write.

    ``kv.writes`` is sorted by completion and ``completes`` holds their completion times, so
    the writes done before the read are a prefix (found by bisection). A write that replaced
    ``value`` began after ``value``'s write completed, so it also completed after it: it lies
    in the slice of that prefix completing after ``value``'s write. The only writes of the
    slice left out are those that overlapped ``value``'s write, at most one per client; so the
    cost is a bisection plus the size of the answer (not the history).
    """
    done = bisect.bisect_left(completes, read_invoke_ms)
    if value is None and kv.write_of(None) is None:   # the initial state (no delete wrote None)
        return kv.writes[:done]
    w = kv.write_of(value)
    if w is None or w["outcome"] != "ok":
        return None  # unknown value, or a timed-out write that may have landed at any time
    after = w["complete_ms"]
    start = bisect.bisect_right(completes, after, 0, done)
    return [x for x in kv.writes[start:done] if x["invoke_ms"] > after]
