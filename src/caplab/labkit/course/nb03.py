"""Notebook 03 (CP in depth): choose a write concern under which no acknowledged write is
rolled back after a failover (MongoDB: ``w: "majority"`` writes survive a primary's loss).

Example::

    from caplab.labkit.course import nb03
    safe_w = "majority"
    nb03.exercise.check(safe_w)
"""

from __future__ import annotations

from ...course.cp import failover
from ...errors import ConfigError
from ...kv.cp.options import check_w
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise", "SEEDS"]

#: The failover is run for each of these seeds.
SEEDS = (1, 2, 3)


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted('replace ... with a write concern: 1, 2, 3 or "majority"')
    if isinstance(answer, bool):
        raise not_valid(answer, "a write concern is 'majority' or a number of members "
                                "1 <= w <= 3, not True/False")
    try:
        check_w(answer, 3)
    except ConfigError as exc:
        raise not_valid(answer, str(exc)) from None
    for seed in SEEDS:
        f = failover(seed=seed, w=answer)
        if f.write.ok and "lost" in f.rolled_back_values:
            raise Incorrect(f"with w={answer!r} the cut-off primary acknowledged the write "
                            f"and it was rolled back after the failover", seed=seed)
    return (f"with w={answer!r} the cut-off primary never acknowledged a write that the "
            f"majority did not have (seeds {list(SEEDS)})")


#: A write concern under which no acknowledged write is rolled back: ``exercise.check(safe_w)``.
exercise = Exercise("Notebook 03, question 1", answer_name="safe_w", grader=_grade,
                    hint="An acknowledged write must already be on a majority of the 3 members.",
                    solution='safe_w = "majority"   # or 2 (a majority of 3), or 3',
                    reference="majority")
