"""Notebook 03 (CP in depth): choose a write concern under which no acknowledged write is
rolled back after a failover (MongoDB: ``w: "majority"`` writes survive a primary's loss).

The replica set has five members and the primary is cut off together with one secondary, so
``w: 2`` is reachable on the minority side and is *not* a promise: only a majority (3 of 5, or
``"majority"``) is.

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
#: Members of the replica set: with five, w=2 is not a majority.
MEMBERS = 5


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted('replace ... with a write concern: 1 to 5 or "majority"')
    if isinstance(answer, bool):
        raise not_valid(answer, "a write concern is 'majority' or a number of members "
                                f"1 <= w <= {MEMBERS}, not True/False")
    try:
        check_w(answer, MEMBERS)
    except ConfigError as exc:
        raise not_valid(answer, str(exc)) from None
    for seed in SEEDS:
        f = failover(seed=seed, w=answer, nodes=MEMBERS)
        if f.write.ok and "lost" in f.rolled_back_values:
            raise Incorrect(f"with w={answer!r} the primary, cut off with one secondary (2 of "
                            f"{MEMBERS} members), acknowledged the write and it was rolled back "
                            f"after the failover: {answer!r} members are not a majority of "
                            f"{MEMBERS}", seed=seed)
    return (f"with w={answer!r} the cut-off primary never acknowledged a write that the "
            f"majority did not have (seeds {list(SEEDS)})")


#: A write concern under which no acknowledged write is rolled back: ``exercise.check(safe_w)``.
exercise = Exercise("Notebook 03, question 1", answer_name="safe_w", grader=_grade,
                    hint=("Which members can the cut-off primary still reach? An acknowledged write "
                          "must already be on a majority of the 5 members.",
                          "Two copies are not a majority of five: a new primary can be elected "
                          "by three members that never saw the write (section 5's catch-up).",
                          'w: "majority" (3 of 5) is the only write concern that is a promise.'),
                    solution='safe_w = "majority"   # or 3 (a majority of 5), 4 or 5',
                    reference="majority")
