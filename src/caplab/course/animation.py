"""What the course's step-through views show, as plain facts: the rollback of notebook 03 frame
by frame (the old primary's log before and after it is cut back), read from the trace replay of
:mod:`caplab.kv.timeline_state`. ``tests/course/test_replay_course.py`` asserts each fact the
notebook states.

Example:
    >>> from caplab.course import cp
    >>> r = rollback_moments(cp.failover(seed=1, w=1).cluster)
    >>> r.uncommitted_before, r.cut_values
    (['lost'], ['lost'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..kv.timeline_state import Timeline

__all__ = ["RollbackMoments", "rollback_moments"]


@dataclass(frozen=True)
class RollbackMoments:
    """The first rollback of a run, just before and just after it."""

    node: str                   # the member that rolled back
    source: str                 # the member whose log it adopted
    rollback_ms: int
    common_index: int           # the last entry the two logs share
    terms_before: dict          # member -> term of its entry after the common point (or None)
    uncommitted_before: list    # values of the node's uncommitted puts just before
    values_after: list          # values of the node's puts just after
    cut_values: list            # values of the puts the rollback cut off
    timeline: Any = field(repr=False, compare=False)


def rollback_moments(cluster) -> RollbackMoments:
    """Find the first rollback in ``cluster``'s trace and describe its two moments.

    Raises:
        ConfigError: the run has no rollback.
    """
    tl = Timeline.of(cluster)
    cut = next((e for e in tl.events if e.kind == "rollback"
                and e.data.get("action") == "truncate"), None)
    if cut is None:
        raise ConfigError("this run has no rollback (no 'rollback' truncate event in its "
                          "trace); use a failover with w=1")
    t, node, common = cut.time_ms, cut.node, cut.data["common"][1]
    before, after = tl.moments([t - 1, t])

    def puts(entries, pred=lambda e: True):
        return [e.value for e in entries if e.op == "put" and pred(e)]

    terms = {n: next((e.term for e in s.log if e.index == common + 1), None)
             for n, s in before.nodes.items()}
    return RollbackMoments(
        node=node, source=cut.data["source"], rollback_ms=t, common_index=common,
        terms_before=terms,
        uncommitted_before=puts(before.nodes[node].log, lambda e: not e.committed),
        values_after=puts(after.nodes[node].log), cut_values=puts(after.nodes[node].cut),
        timeline=tl)
