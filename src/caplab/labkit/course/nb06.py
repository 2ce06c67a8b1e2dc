"""Notebook 06 (checking consistency): write a history that is not linearizable although every
read overlaps a write, and in which each read alone (with the writes) is linearizable: only the
reads together are impossible (Herlihy and Wing's new-old inversion).

Example::

    from caplab.course import checking
    from caplab.labkit.course import nb06
    nb06.exercise.check(checking.tiny_history("inversion"))
"""

from __future__ import annotations

from ...check import check_linearizability
from ...check.records import normalize_history
from ...course.checking import explain_briefly, tiny_history
from ...errors import HistoryError
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise"]


def _overlaps_a_write(records) -> None:
    puts = [r for r in records if r["op"] == "put"]
    gets = [r for r in records if r["op"] == "get"]
    if not puts or not gets:
        raise Incorrect("the history needs at least one put and one get")
    for g in gets:
        if not any(p["key"] == g["key"] and p["invoke_ms"] < g["complete_ms"]
                   and g["invoke_ms"] < (p["complete_ms"] or float("inf")) for p in puts):
            raise Incorrect(f"op {g['id']} (get by {g['client']}) overlaps no write of its key; "
                            f"every read must overlap a write")


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted("replace ... with a list of operation dicts")
    try:
        records = normalize_history(answer)
    except HistoryError as exc:
        raise not_valid(answer, f"not a history: {exc}") from None
    _overlaps_a_write(records)
    result = check_linearizability(records)
    if result.ok:
        raise Incorrect("the checker linearizes it: " + result.explain())
    # The point of the exercise: each read alone is fine, only together are they not. A read
    # that is wrong even when it is the only read (a value nobody wrote, the value of a failed
    # write, an old value after the write completed) misses it.
    for g in (r for r in records if r["op"] == "get"):
        alone = [r for r in records if r["op"] != "get" or r is g]
        verdict = check_linearizability(alone)
        if not verdict.ok:
            raise Incorrect(
                f"op {g['id']} (get by {g['client']}, returned {g['value']!r}) is wrong on its "
                f"own: checked with the writes alone (the other reads removed), the history is "
                f"still {explain_briefly(verdict)} A read may return the "
                f"initial None or a value a write that can take effect in its interval wrote "
                f"(a write whose outcome is fail never took effect). Make every read fine on "
                f"its own, and only the reads together impossible.")
    return ("not linearizable although every read overlaps a write, and each read alone with "
            "the writes is linearizable: " + explain_briefly(result))


#: Write a history that is not linearizable although every read overlaps a write.
#: ``exercise.check(my_history)``.
exercise = Exercise(
    "Notebook 06, exercise", answer_name="my_history", grader=_grade,
    hint="Overlap alone never convicts a read, and each read must be fine on its own "
         "(it returns None or the value of a write that can take effect in its "
         "interval). Make two reads that do not overlap each other, both overlapping one "
         "write, and let the earlier read see the new value and the later one the old.",
    solution="my_history = checking.tiny_history('inversion')   # new value, then the old one",
    reference=tiny_history("inversion"))
