"""Notebook 04 (AP in depth): writes at ONE; which read level makes every read fresh? The
grader runs the notebook's read-after-write experiment (:func:`caplab.course.ap.
tunable_consistency`) at the answer's levels for seeds 1-3 (Dynamo: R + W > N).

Example::

    from caplab.labkit.course import nb04
    levels = ("one", "all")
    nb04.exercise.check(levels)
"""

from __future__ import annotations

from ...course.ap import tunable_consistency
from ...errors import ConfigError, UnknownNameError
from ...kv.ap.levels import check_level
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid, shown

__all__ = ["exercise", "SEEDS"]

#: The experiment is run for each of these seeds.
SEEDS = (1, 2, 3)
N = 3


def _level(which: str, level):
    """A consistency level as the experiment takes it (any case, or a number 1..3).

    Raises:
        Incorrect: naming the level and the allowed ones.
    """
    try:
        return check_level(which, level.strip() if isinstance(level, str) else level, N)
    except UnknownNameError as exc:
        raise Incorrect(f"your {which} level {shown(level)} is not valid: {exc} (upper or "
                        f"lower case)") from None
    except ConfigError as exc:
        raise Incorrect(f"your {which} level {shown(level)} is not valid: {exc}") from None


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted("replace ... with a pair (write_level, read_level)")
    try:
        if isinstance(answer, (str, bytes)):
            raise TypeError("a single string")
        write_level, read_level = answer
    except (TypeError, ValueError):
        raise not_valid(answer, "give a pair (write_level, read_level), e.g. "
                                "('quorum', 'one')") from None
    write_level, read_level = _level("write", write_level), _level("read", read_level)
    for seed in SEEDS:
        facts = tunable_consistency(seed, write_level=write_level, read_level=read_level)
        if facts.stale_reads:
            raise Incorrect(f"W={facts.w}, R={facts.r}: R + W = {facts.r + facts.w} is not more "
                            f"than N = {N}, and Bob read stale {facts.stale_reads} time(s)",
                            seed=seed)
    if facts.w != 1:
        raise Incorrect(f"no stale reads, but every write waits for W = {facts.w} "
                        f"acknowledgements; the question asks for writes at ONE")
    return (f"W = 1 and R = {facts.r}: R + W = {facts.r + facts.w} > N = {N}, so every read "
            f"meets the replica that acknowledged the write; no stale read in seeds 1-3")


#: Writes must be acknowledged by a single replica (fast writes): which read level makes every
#: read fresh? ``levels = (write_level, read_level)``; ``exercise.check(levels)``.
exercise = Exercise(
    "Notebook 04, exercise", answer_name="levels", grader=_grade,
    hint="Writes at ONE reach only one replica for sure. Which read level is sure to "
         "ask that replica, whichever it is?",
    solution="levels = ('one', 'all')   # W = 1, R = 3: R + W = 4 > N = 3",
    reference=("one", "all"))
