"""Notebook 05 (eventual consistency measured): how many ms after commit are R = W = 1 reads
(N = 3, LinkedIn's disks) consistent 99% of the time? Graded against PBS t-visibility
(:func:`caplab.analyses.staleness.t_at_probability`), within 15%.

Example::

    from caplab.labkit.course import nb05
    nb05.exercise.check(t99)
"""

from __future__ import annotations

import math

from ...analyses.staleness import t_at_probability
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise", "TOLERANCE"]

#: An answer within this fraction of the model's value counts.
TOLERANCE = 0.15


def _t99_lnkd_disk() -> float:
    return t_at_probability(0.99, 3, 1, 1, latency="lnkd-disk", trials=200_000, seed=1)


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted("replace ... with a number of milliseconds")
    if isinstance(answer, bool):
        raise not_valid(answer, "give a number of milliseconds, e.g. 12.5")
    try:
        t = float(answer)
    except (TypeError, ValueError):
        raise not_valid(answer, "give a number of milliseconds, e.g. 12.5") from None
    if not math.isfinite(t) or t < 0:
        raise not_valid(answer, "a time after commit is a finite number of ms >= 0")
    truth = _t99_lnkd_disk()
    if not truth * (1 - TOLERANCE) <= t <= truth * (1 + TOLERANCE):
        direction = "too small: reads that soon are still stale too often" if t < truth \
            else "too large: reads are that fresh sooner"
        raise Incorrect(f"{t:g} ms is {direction} (within {TOLERANCE:.0%} of the answer counts)")
    return (f"about {truth:.1f} ms: with R = W = 1 on LinkedIn's disks, 99% of reads started "
            f"that long after commit see the write")


#: How many ms after commit are R = W = 1 reads (N = 3, LNKD-DISK) consistent 99% of the
#: time? ``exercise.check(t99)``.
exercise = Exercise(
    "Notebook 05, exercise", answer_name="t99", grader=_grade,
    hint="caplab.analyses.staleness.t_at_probability(p, n, r, w, latency=...) answers exactly "
         "this; or read it off the t_visibility curve.",
    solution="t99 = t_at_probability(0.99, 3, 1, 1, latency='lnkd-disk', seed=1)",
    reference=None)
