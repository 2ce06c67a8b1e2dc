"""Notebook 02 (CAP in practice): which mode kept accepting writes from the cut-off client?

Example::

    from caplab.labkit.course import nb02
    available_mode = "ap"
    nb02.exercise.check(available_mode)
"""

from __future__ import annotations

from ...course.cap import cap_side_by_side
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise", "SEED"]

#: The seed the notebook's side-by-side comparison uses.
SEED = 1


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted("replace ... with 'cp' or 'ap'")
    if not isinstance(answer, str) or answer.strip().lower() not in ("cp", "ap"):
        raise not_valid(answer, "answer 'cp' or 'ap'")
    mode = answer.strip().lower()
    cmp = cap_side_by_side(seed=SEED)
    best = max((cmp.cp, cmp.ap), key=lambda s: s.minority_writes_ok)
    if mode != best.mode:
        raise Incorrect(f"the {mode.upper()} cluster acknowledged "
                        f"{getattr(cmp, mode).minority_writes_ok} writes from the "
                        f"cut-off client during the split", seed=SEED)
    return (f"{best.mode.upper()} acknowledged {best.minority_writes_ok} writes on the cut-off "
            f"side, and paid with {best.stale_reads} stale reads")


#: Which cluster acknowledged writes from the cut-off client? ``exercise.check(available_mode)``.
exercise = Exercise("Notebook 02, question 1", answer_name="available_mode", grader=_grade,
                    hint="Compare cmp.cp.minority_writes_ok and cmp.ap.minority_writes_ok.",
                    solution='available_mode = "ap"', reference="ap")
