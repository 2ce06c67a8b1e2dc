"""The one place where a run's checks are summarised: every checker on one history, as results
(:func:`check_all`), as the table a notebook cell shows (:func:`summarize`), and as the plain
numbers the CP-vs-AP bars draw (:meth:`Summary.as_dict`).

One row per check (linearizability, stale reads, lost writes, read-your-writes, monotonic reads
and, given snapshots, convergence), each a :class:`~caplab.history.result.CheckResult`, so a view
draws any row without knowing which checker made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .convergence import check_convergence
from .linearizability import DEFAULT_MAX_STEPS, check_linearizability
from .lost import check_lost_writes
from .records import normalize_history
from ..history.result import one_line
from .sessions import MONOTONIC_READS, READ_YOUR_WRITES, check_sessions
from .stale import check_stale_reads

__all__ = ["summarize", "check_all", "Summary", "SUMMARY_COLUMNS"]

#: The columns of :func:`summarize`: ``valid`` is True / False / None (unknown or no data),
#: ``steps`` the search steps of a checker that searches (linearizability), else None.
SUMMARY_COLUMNS = ("check", "verdict", "count", "detail", "valid", "steps")

OUTCOMES = ("ok", "fail", "info")


@dataclass(frozen=True)
class Summary:
    """Every checker's result on one history, and its outcome counts.

    Attributes:
        results: the :class:`~caplab.history.result.CheckResult` of each check, in row order
            (``summary["stale reads"]`` picks one by its ``checker`` name).
        ops: the number of operations.
        outcomes: ``{"ok": n, "fail": n, "info": n}``.
    """

    results: tuple
    ops: int
    outcomes: dict
    records: list = field(default_factory=list, repr=False, compare=False)

    def __getitem__(self, checker: str):
        for result in self.results:
            if result.checker == checker:
                return result
        from ..errors import UnknownNameError
        raise UnknownNameError("check", checker, [r.checker for r in self.results])

    def to_frame(self):
        """The table :func:`summarize` returns (columns :data:`SUMMARY_COLUMNS`)."""
        import pandas as pd
        rows = [(r.checker, r.verdict, r.count, r.brief(), r.valid, r.details.get("steps"))
                for r in self.results]
        return pd.DataFrame([dict(zip(SUMMARY_COLUMNS, row)) for row in rows],
                            columns=list(SUMMARY_COLUMNS))

    def as_dict(self, *, window=None) -> dict:
        """The plain numbers :func:`caplab.viz.availability_consistency_bars` draws.

        Args:
            window: optional ``(start_ms, end_ms)``, e.g. from the first fault to the heal.
                Then each client's operations active in the window (invoked before
                ``end_ms`` and not completed before ``start_ms``) are counted, and the client
                with the smallest share answered ok is reported. Over the whole run a blocked
                CP client simply issues fewer operations, so the overall share hides it; the
                worst client does not.

        Returns:
            ``{"ops", "ok", "fail", "info", "stale_reads", "lost_writes", "linearizable"}``
            (``linearizable`` True / False / None for unknown). With ``window``, also
            ``"window"`` (the pair), ``"worst_client"`` (name, or None if no client had an
            operation in the window), ``"worst_client_ok_share"`` (in [0, 1], or None) and
            ``"client_ok_share"`` (client -> share, for the clients active in the window).
        """
        out = {"ops": self.ops, **self.outcomes,
               "stale_reads": self["stale reads"].count,
               "lost_writes": self["lost writes"].count,
               "linearizable": self["linearizability"].valid}
        if window is not None:
            out.update(client_ok_shares(self.records, window))
        return out


def check_all(history, *, final_state=None, snapshots=None, heal_ms=None, model=None,
              max_steps: int = DEFAULT_MAX_STEPS, linearizability=None) -> Summary:
    """Run every checker on ``history``; the results, for views and course code.

    Args:
        history: a :class:`~caplab.history.History`, a list of record dicts, or a DataFrame.
        final_state: optional mapping key -> final value(s), for the lost-write check.
        snapshots: optional replica-state snapshots (``time_ms, node, key, value``), for the
            convergence row.
        heal_ms: when the network healed, for the time to converge.
        model: the sequential model for linearizability (default: key-value map).
        max_steps: linearizability search budget per key.
        linearizability: a result of ``check_linearizability`` on this same history, to reuse
            instead of searching again (a panel that already drew the violations passes it).

    Returns:
        A :class:`Summary` (``.results``, ``summary["lost writes"]``, ``.to_frame()``,
        ``.as_dict(window=...)``).

    Raises:
        HistoryError: the history (or a snapshot row) is malformed.

    Example:
        >>> h = [dict(client="a", op="put", key="x", value=1, invoke_ms=0, complete_ms=5,
        ...           outcome="ok")]
        >>> s = check_all(h)
        >>> s["linearizability"].valid, s.as_dict()["stale_reads"]
        (True, 0)
    """
    records = normalize_history(history)  # validated once; the checkers reuse it as it is
    lin = linearizability
    if lin is None:
        lin = check_linearizability(records, model, max_steps=max_steps)
    sessions = check_sessions(records)
    results = [lin, check_stale_reads(records),
               check_lost_writes(records, final_state=final_state),
               sessions.guarantee(READ_YOUR_WRITES), sessions.guarantee(MONOTONIC_READS)]
    if snapshots is not None:
        results.append(check_convergence(snapshots, heal_ms=heal_ms))
    outcomes = {o: 0 for o in OUTCOMES}
    for r in records:
        outcomes[r.get("outcome") or "info"] += 1
    return Summary(tuple(results), len(records), outcomes, records)


def summarize(history, **options):
    """Run every checker on ``history`` and return a small DataFrame of verdicts.

    Args:
        history: a :class:`~caplab.history.History`, a list of record dicts, or a DataFrame.
        **options: those of :func:`check_all` (``final_state``, ``snapshots``, ``heal_ms``,
            ``model``, ``max_steps``, ``linearizability``).

    Returns:
        A pandas DataFrame with columns :data:`SUMMARY_COLUMNS`: ``count`` is the number of
        offending operations (convergence: the worst number of divergent keys).

    Raises:
        HistoryError: the history (or a snapshot row) is malformed.

    Example:
        >>> h = [dict(client="a", op="put", key="x", value=1, invoke_ms=0, complete_ms=5,
        ...           outcome="ok")]
        >>> summarize(h)["verdict"].tolist()[:2]
        ['linearizable', 'ok']
    """
    return check_all(history, **options).to_frame()


def client_ok_shares(records, window) -> dict:
    """Per client, the share of its operations active in ``window`` answered ok, and the worst
    client (see :meth:`Summary.as_dict`)."""
    start, end = window
    per: dict = {}
    for r in records:
        invoked, done = r.get("invoke_ms"), r.get("complete_ms")
        if invoked is None or invoked >= end or (done is not None and done < start):
            continue
        ok, n = per.get(r["client"], (0, 0))
        per[r["client"]] = (ok + (r.get("outcome") == "ok"), n + 1)
    shares = {c: ok / n for c, (ok, n) in sorted(per.items(), key=lambda kv: str(kv[0]))}
    worst = min(shares, key=lambda c: shares[c]) if shares else None
    return {"window": (start, end), "client_ok_share": shares, "worst_client": worst,
            "worst_client_ok_share": shares[worst] if worst is not None else None}


#: Kept for callers of the earlier name (course/checking.py's explain_briefly).
brief_explanation = one_line
