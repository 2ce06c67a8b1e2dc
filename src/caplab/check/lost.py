"""Lost writes: acknowledged writes that no later read or the final state can contain.

A write the store acknowledged (outcome ``ok``) must survive: it may be overwritten by a later
write, but the key must never go back to something older (MongoDB rolls back writes that
reached no majority; a last-write-wins store with skewed clocks drops the "later" write).
For each acknowledged write ``w`` the *evidence* is the final state of its key if given, else
the last read of the key invoked after ``w`` completed (none: nothing to judge by). ``w`` is
lost when every value in the evidence is definitely older than ``w``: absent, or written by a
write that completed before ``w`` was invoked. For keys written with ``append``, ``w`` is lost
when the evidence does not contain the appended item.

Assumes written values are unique per key (see :mod:`caplab.check.versions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import HistoryError
from .records import normalize_history
from ..history.result import CheckResult
from .versions import values_of, versions_by_key

__all__ = ["LostWrite", "LostWriteResult", "check_lost_writes"]

_NO_EVIDENCE = object()


@dataclass(frozen=True)
class LostWrite:
    """Write ``id`` (``key``=``value``, acknowledged at ``complete_ms``) is gone: ``evidence``
    (``"final state"`` or ``"read <id>"``) shows ``observed``."""

    id: object
    client: object
    key: object
    value: object
    complete_ms: int
    evidence: str
    observed: object


@dataclass(frozen=True, kw_only=True)
class LostWriteResult(CheckResult):
    """Result of :func:`check_lost_writes` (a :class:`~caplab.history.result.CheckResult`).

    ``details``: ``lost`` (the :class:`LostWrite` records, in history order),
    ``writes_checked`` (acknowledged writes with evidence to judge by), ``evidence``
    (``"final state"`` or ``"last read"``).
    """

    @classmethod
    def from_findings(cls, lost: tuple, writes_checked: int, evidence: str) -> "LostWriteResult":
        """The result for these lost writes among ``writes_checked`` judged writes."""
        reasons = tuple(f"op {x.id!r} by {x.client!r} wrote {x.key!r}={x.value!r} "
                        f"(acknowledged at {x.complete_ms} ms), but the {x.evidence} holds "
                        f"{x.observed!r}, which is older" for x in lost)
        return cls(checker="lost writes", valid=not lost, offending=tuple(x.id for x in lost),
                   reasons=reasons, details={"lost": tuple(lost),
                                             "writes_checked": writes_checked,
                                             "evidence": evidence})

    @property
    def lost(self) -> tuple:
        return self.details["lost"]

    @property
    def writes_checked(self) -> int:
        return self.details["writes_checked"]

    def explain(self) -> str:
        if self.ok:
            return f"no lost writes among {self.writes_checked} acknowledged writes with evidence."
        lines = [f"{len(self.lost)} acknowledged write(s) lost:"]
        lines += [f"  - {reason}" for reason in self.reasons]
        return "\n".join(lines)

    def brief(self) -> str:
        return (f"{len(self.lost)} of {self.writes_checked} acknowledged writes lost (judged by "
                f"the {self.details['evidence']})")

    def to_frame(self):
        """One row per lost write: the fields of :class:`LostWrite`."""
        import pandas as pd
        cols = ["id", "client", "key", "value", "complete_ms", "evidence", "observed"]
        return pd.DataFrame([{c: getattr(x, c) for c in cols} for x in self.lost], columns=cols)


def _final_values(final_state) -> dict:
    if final_state is None:
        return {}
    if not hasattr(final_state, "items"):
        raise HistoryError(f"final_state must map key -> value (or a list of values held by "
                           f"the replicas), got {type(final_state).__name__}")
    out = {}
    for key, value in final_state.items():
        out[key] = tuple(value) if isinstance(value, (list, set, frozenset)) else values_of(value)
    return out


def check_lost_writes(history, *, final_state: dict | None = None) -> LostWriteResult:
    """Find acknowledged writes that no later read or the final state can contain.

    Args:
        history: a :class:`~caplab.history.History`, a list of record dicts, or a DataFrame.
        final_state: optional mapping key -> the value the store holds at the end, or a list
            of values (siblings, or one per replica). A key missing from the mapping counts
            as absent only if the mapping is given and the key was written.

    Returns:
        A :class:`LostWriteResult` (``.ok``, ``.lost``, ``.bad_ops``, ``.explain()``).

    Raises:
        HistoryError: the history is malformed, or ``final_state`` is not a mapping.

    Example:
        >>> h = [dict(client="a", op="put", key="x", value=1, invoke_ms=0, complete_ms=5,
        ...           outcome="ok"),
        ...      dict(client="a", op="put", key="x", value=2, invoke_ms=10, complete_ms=15,
        ...           outcome="ok")]
        >>> check_lost_writes(h, final_state={"x": 1}).bad_ops
        (1,)
    """
    records = normalize_history(history)
    versions = versions_by_key(records)
    finals = _final_values(final_state)
    # The evidence for a write without a final state is the last read of its key invoked
    # after the write completed: that is the key's last read overall (by invocation, then
    # row), provided it was invoked after the write completed; so one read per key suffices.
    last_read: dict[Any, dict] = {}
    for rec in records:
        if rec["op"] == "get" and rec["outcome"] == "ok":
            known = last_read.get(rec["key"])
            if known is None or (rec["invoke_ms"], rec["row"]) > (known["invoke_ms"],
                                                                    known["row"]):
                last_read[rec["key"]] = rec
    lost = []
    checked = 0
    for rec in records:
        if rec["op"] not in ("put", "append", "cas", "delete") or rec["outcome"] != "ok":
            continue
        kv = versions[rec["key"]]
        if final_state is not None:
            observed = finals.get(rec["key"], (None,))
            evidence, shown = "final state", (observed if len(observed) != 1 else observed[0])
        else:
            last = last_read.get(rec["key"])
            if last is None or last["invoke_ms"] <= rec["complete_ms"]:
                continue
            observed, evidence, shown = values_of(last["value"]), f"read {last['id']!r}", \
                last["value"]
        checked += 1
        if all(kv.write_is_older(v, rec) for v in observed):
            lost.append(LostWrite(rec["id"], rec["client"], rec["key"], kv.written_value(rec),
                                  rec["complete_ms"], evidence, shown))
    return LostWriteResult.from_findings(tuple(lost), checked,
                              "final state" if final_state is not None else "last read")
