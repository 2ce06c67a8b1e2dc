"""Notebook 02 (CAP in practice): reason about consistency levels. Choose the AP ring's write
and read levels so that, in the same split as the notebook's, the cut-off client's writes are
refused but its reads are still answered (what the CA topology did); graded by running the
split (Cassandra: a request succeeds once as many replicas as its consistency level answered).

Example::

    from caplab.labkit.course import nb02
    ap_levels = ("quorum", "one")
    nb02.exercise.check(ap_levels)
"""

from __future__ import annotations

from ...course.cap import cap_side_by_side
from ...errors import ConfigError
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise", "SEED", "LEVELS", "cut_off_side"]

#: The seed the notebook's side-by-side comparison uses.
SEED = 1
#: The consistency levels the ring accepts.
LEVELS = ("one", "quorum", "all")


def cut_off_side(write_level: str, read_level: str, seed: int = SEED):
    """The AP ring's run of notebook 02's split with these consistency levels.

    Returns:
        the :class:`~caplab.course.cap.SideFacts` of the AP ring (``minority_writes_ok``,
        ``minority_reads_ok`` ...).

    Raises:
        ConfigError: a level the ring does not know.

    Example:
        >>> cut_off_side("quorum", "one").minority_writes_ok      # doctest: +SKIP
        0
    """
    return cap_side_by_side(seed=seed, ap_options={"write_consistency": write_level,
                                                   "read_consistency": read_level}).ap


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted('replace ... with (write_level, read_level), e.g. ("one", "all")')
    if not isinstance(answer, (tuple, list)) or len(answer) != 2 or \
            not all(isinstance(a, str) for a in answer):
        raise not_valid(answer, f"give a pair (write_level, read_level) of levels among "
                                f"{', '.join(map(repr, LEVELS))}")
    write, read = (a.strip().lower() for a in answer)
    for level in (write, read):
        if level not in LEVELS:
            raise not_valid(answer, f"{level!r} is not a level; levels: "
                                    f"{', '.join(map(repr, LEVELS))}")
    try:
        s = cut_off_side(write, read)
    except ConfigError as exc:
        raise not_valid(answer, str(exc)) from None
    if s.minority_writes_ok:
        raise Incorrect(f"at write level {write!r} the cut-off node (one replica of three) "
                        f"acknowledged {s.minority_writes_ok} of the cut-off client's "
                        f"{s.minority_writes} writes during the split", seed=SEED)
    if not s.minority_reads_ok:
        raise Incorrect(f"at read level {read!r} the cut-off client's "
                        f"{s.minority_ops - s.minority_writes} reads were all refused: one "
                        f"replica cannot answer that level", seed=SEED)
    return (f"writes at {write!r}: {s.minority_writes_ok}/{s.minority_writes} acknowledged on "
            f"the cut-off side; reads at {read!r}: {s.minority_reads_ok} answered (with "
            f"{s.minority_stale_reads} stale): the CA topology's behaviour, chosen per request")


#: AP levels that refuse the cut-off writes but answer its reads: ``exercise.check(ap_levels)``.
exercise = Exercise(
    "Notebook 02, question 1", answer_name="ap_levels", grader=_grade,
    hint=("How many replicas can the cut-off node reach during the split?",
          "One replica, itself. A request succeeds once as many replicas as its level answered: "
          "ONE is 1, QUORUM is 2 of 3, ALL is 3.",
          "A write level that needs two replicas or more, and a read level that needs one."),
    solution='ap_levels = ("quorum", "one")   # or ("all", "one")',
    reference=("quorum", "one"))
