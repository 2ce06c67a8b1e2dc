"""One call that runs every checker on a history and tabulates the verdicts.

``summarize(history)`` is what a notebook cell shows after an experiment: one row per check
(linearizability, stale reads, lost writes, read-your-writes, monotonic reads and, given
snapshots, convergence), with its verdict, how many operations (or keys) are involved and one
line of detail. Each row's full result is one call away (``check_linearizability`` etc.).
"""

from __future__ import annotations

from .convergence import check_convergence
from .linearizability import DEFAULT_MAX_STEPS, check_linearizability
from .lost import check_lost_writes
from .records import normalize_history
from .sessions import MONOTONIC_READS, READ_YOUR_WRITES, check_sessions
from .stale import check_stale_reads

__all__ = ["summarize", "SUMMARY_COLUMNS"]

SUMMARY_COLUMNS = ("check", "verdict", "count", "detail")


def summarize(history, *, final_state=None, snapshots=None, heal_ms=None, model=None,
              max_steps: int = DEFAULT_MAX_STEPS, linearizability=None):
    """Run every checker on ``history`` and return a small DataFrame of verdicts.

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
        A pandas DataFrame with columns ``check, verdict, count, detail``: ``count`` is the
        number of offending operations (linearizability: operations that cannot be placed;
        convergence: the worst number of divergent keys).

    Raises:
        HistoryError: the history (or a snapshot row) is malformed.

    Example:
        >>> h = [dict(client="a", op="put", key="x", value=1, invoke_ms=0, complete_ms=5,
        ...           outcome="ok")]
        >>> summarize(h)["verdict"].tolist()[:2]
        ['linearizable', 'ok']
    """
    import pandas as pd

    records = normalize_history(history)  # validated once; the checkers reuse it as it is
    rows = []
    lin = linearizability
    if lin is None:
        lin = check_linearizability(records, model, max_steps=max_steps)
    rows.append(("linearizability", lin.verdict, len(lin.bad_ops),
                 brief_explanation(lin.explain())))
    stale = check_stale_reads(records)
    rows.append(("stale reads", stale.verdict, len(stale.stale),
                 f"{len(stale.stale)} of {stale.reads_checked} reads stale; worst "
                 f"{stale.max_versions_behind} version(s), {stale.max_stale_ms} ms"))
    lost = check_lost_writes(records, final_state=final_state)
    rows.append(("lost writes", lost.verdict, len(lost.lost),
                 f"{len(lost.lost)} of {lost.writes_checked} acknowledged writes lost"
                 + (" (judged by the final state)" if final_state is not None
                    else " (judged by the last read)")))
    sessions = check_sessions(records)
    for guarantee in (READ_YOUR_WRITES, MONOTONIC_READS):
        bad = sessions.of(guarantee)
        clients = sorted({v.client for v in bad}, key=repr)
        rows.append((guarantee, "ok" if not bad else "violated", len(bad),
                     f"violated by {len(clients)} client(s): "
                     f"{', '.join(map(str, clients))}" if bad
                     else "holds for every client"))
    if snapshots is not None:
        conv = check_convergence(snapshots, heal_ms=heal_ms)
        rows.append(("convergence", conv.verdict, conv.max_divergent_keys, conv.explain()))
    records = [dict(zip(SUMMARY_COLUMNS, row)) for row in rows]
    return pd.DataFrame(records, columns=list(SUMMARY_COLUMNS))


def brief_explanation(text: str) -> str:
    """A checker's explanation on one line: its first line, then its indented ``  - ...``
    lines (for a linearizability violation, the operations that cannot be placed, which the
    first line's closing colon announces); later sentences are left out."""
    lines = text.splitlines()
    if not lines:
        return ""
    reasons = [line.strip()[2:] for line in lines[1:] if line.startswith("  - ")]
    return lines[0] + (" " + "; ".join(reasons) + "." if reasons else "")
