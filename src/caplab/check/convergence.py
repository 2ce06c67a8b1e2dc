"""Convergence of replicas: how many keys they disagree on over time, and how long after the
network heals they agree again (eventual consistency made measurable).

Input: replica-state snapshots in long form, one row per ``(time_ms, node, key, value)`` (a
DataFrame or a list of dicts). At each snapshot time, the replicas are the nodes named at that
time (or the ``nodes`` given), the keys are every key any of them holds, and a key is
*divergent* when the replicas do not all hold the same value. A node missing a key that
another node holds disagrees with it (it has not received the write yet, or lost it); a key
that no node holds is not counted. Siblings (tuple or list values) compare as sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import HistoryError
from ..history.result import CheckResult

__all__ = ["ConvergenceResult", "check_convergence"]

_ABSENT = ("<absent>",)


@dataclass(frozen=True, kw_only=True)
class ConvergenceResult(CheckResult):
    """Result of :func:`check_convergence` (a :class:`~caplab.history.result.CheckResult`;
    ``valid`` is None when there are no snapshots). Its findings are keys, not operations:
    ``offending`` is empty and ``reasons`` says which keys still disagree.

    ``details`` (each also a property):
        times_ms: the snapshot times, sorted.
        divergent_keys: per snapshot time, the number of keys the replicas disagree on.
        heal_ms: the heal time given (or ``None``).
        converged_ms: the first snapshot time at or after ``heal_ms`` (or the first snapshot)
            from which every later snapshot agrees on every key; ``None`` if never.
        keys_by_time: per snapshot time, the divergent keys (sorted).
        count: the worst number of divergent keys (``max_divergent_keys``).
    """

    VERDICTS: ClassVar[dict] = {True: "converged", False: "diverged", None: "no data"}

    @classmethod
    def from_findings(cls, times_ms: tuple, divergent_keys: tuple, heal_ms, converged_ms,
                      keys_by_time: dict) -> "ConvergenceResult":
        """The result for these per-snapshot divergence counts."""
        valid = None if not times_ms else converged_ms is not None
        reasons = ()
        if valid is False:
            last = times_ms[-1]
            reasons = (f"replicas still disagree on {divergent_keys[-1]} key(s) at the last "
                       f"snapshot ({last} ms): {keys_by_time.get(last, [])}",)
        details = {"times_ms": tuple(times_ms), "divergent_keys": tuple(divergent_keys),
                   "heal_ms": heal_ms, "converged_ms": converged_ms,
                   "keys_by_time": keys_by_time, "count": max(divergent_keys, default=0)}
        return cls(checker="convergence", valid=valid, reasons=reasons, details=details)

    times_ms = property(lambda self: self.details["times_ms"])
    divergent_keys = property(lambda self: self.details["divergent_keys"])
    heal_ms = property(lambda self: self.details["heal_ms"])
    converged_ms = property(lambda self: self.details["converged_ms"])
    keys_by_time = property(lambda self: self.details["keys_by_time"])

    @property
    def time_to_converge_ms(self) -> int | None:
        """Time from ``heal_ms`` (or the first snapshot) until the replicas agree for good."""
        if self.converged_ms is None:
            return None
        start = self.heal_ms if self.heal_ms is not None else self.times_ms[0]
        return max(0, self.converged_ms - start)

    @property
    def max_divergent_keys(self) -> int:
        return max(self.divergent_keys, default=0)

    def explain(self) -> str:
        if not self.times_ms:
            return "no snapshots to judge convergence by."
        since = "the heal" if self.heal_ms is not None else "the first snapshot"
        if self.ok:
            return (f"replicas agree on every key from {self.converged_ms} ms, "
                    f"{self.time_to_converge_ms} ms after {since} (worst divergence: "
                    f"{self.max_divergent_keys} key(s)).")
        return self.reasons[0]

    def brief(self) -> str:
        return self.explain()

    def to_frame(self):
        """Divergence over time: DataFrame with columns ``time_ms, divergent_keys``."""
        import pandas as pd
        return pd.DataFrame({"time_ms": list(self.times_ms),
                             "divergent_keys": list(self.divergent_keys)})


def _canon(value: Any) -> Any:
    if value is None:
        return _ABSENT
    if isinstance(value, (list, tuple, set, frozenset)):
        return ("<siblings>",) + tuple(sorted((repr(v) for v in value)))
    if isinstance(value, float) and value != value:
        return _ABSENT
    return ("<value>", repr(value))


def _snapshot_rows(snapshots) -> list[dict]:
    if hasattr(snapshots, "to_dict") and hasattr(snapshots, "columns"):
        rows = snapshots.to_dict("records")
    else:
        rows = list(snapshots)
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise HistoryError(f"snapshot row {i}: expected a dict with columns time_ms, node, "
                               f"key, value, got {type(row).__name__}")
        for column in ("time_ms", "node", "key"):
            if column not in row:
                raise HistoryError(f"snapshot row {i}: missing column {column!r}; expected "
                                   f"columns: time_ms, node, key, value")
    return rows


def check_convergence(snapshots, *, heal_ms: int | None = None, nodes: list | None = None,
                      replicas=None) -> ConvergenceResult:
    """Measure replica divergence over time and the time from ``heal_ms`` to agreement.

    Args:
        snapshots: DataFrame or list of dicts with columns ``time_ms, node, key, value``.
        heal_ms: when the network healed; convergence is looked for from then on.
        nodes: the replicas; default: the nodes named in each snapshot. Pass ``c.nodes`` so a
            node that holds no key at all still counts as disagreeing.
        replicas: which nodes should hold each key, when not every node holds every key: a
            callable ``key -> nodes`` (AP with RF < N: ``c.replicas_for``) or a dict.

    Returns:
        A :class:`ConvergenceResult` (``.divergent_keys``, ``.time_to_converge_ms``,
        ``.to_frame()``).

    Raises:
        HistoryError: a snapshot row lacks a column.

    Example:
        >>> snaps = [dict(time_ms=0, node="n1", key="x", value=1),
        ...          dict(time_ms=0, node="n2", key="x", value=0),
        ...          dict(time_ms=50, node="n1", key="x", value=1),
        ...          dict(time_ms=50, node="n2", key="x", value=1)]
        >>> check_convergence(snaps, heal_ms=20).time_to_converge_ms
        30
    """
    by_time: dict = {}
    for row in _snapshot_rows(snapshots):
        cell = by_time.setdefault(row["time_ms"], {})
        cell.setdefault(row["node"], {})[row["key"]] = _canon(row.get("value"))
    times = sorted(by_time)
    owners = None
    if replicas is not None:
        owners = replicas if callable(replicas) else (lambda k: replicas.get(k, ()))
    divergent, keys_by_time = [], {}
    for t in times:
        held = by_time[t]
        everyone = sorted(nodes if nodes is not None else held, key=repr)
        keys = sorted({k for n in held for k, v in held[n].items() if v != _ABSENT}, key=repr)
        bad = [k for k in keys
               if len({held.get(n, {}).get(k, _ABSENT)
                       for n in (owners(k) if owners is not None else everyone)}) > 1]
        divergent.append(len(bad))
        keys_by_time[t] = bad
    converged = None
    for t, d in zip(reversed(times), reversed(divergent)):
        if d or (heal_ms is not None and t < heal_ms):
            break
        converged = t
    return ConvergenceResult.from_findings(tuple(times), tuple(divergent), heal_ms, converged,
                                           keys_by_time)
