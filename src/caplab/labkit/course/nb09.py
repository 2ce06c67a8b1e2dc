"""Notebook 09 (events and CQRS): the payments service crashes between its database write and
its publish; what does the delivery checker say, for each way of publishing?

Example::

    from caplab.labkit.course import nb09
    verdicts = {"after_commit": "lost event", "before_commit": "phantom event",
                "outbox": "consistent"}
    nb09.exercise.check(verdicts)
"""

from __future__ import annotations

from ...course.events import dual_write
from ...events.service import PUBLISH_MODES
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise", "SEED", "VERDICTS"]

#: The seed the notebook's experiment uses.
SEED = 1
#: The verdicts an answer may give.
VERDICTS = ("lost event", "phantom event", "consistent")

_WHY = {"lost event": "the write committed, and the crash came before anything was published: "
                      "downstream never hears of it",
        "phantom event": "the event was published, and the crash came before the write "
                         "committed: others act on a write that never happened",
        "consistent": "the event sits in the OUTBOX table, committed with the write; the relay "
                      "publishes it after the restart"}


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted(f"replace ... with a dict: publish mode -> one of "
                           f"{', '.join(map(repr, VERDICTS))}")
    if not isinstance(answer, dict):
        raise not_valid(answer, f"give a dict with the keys {', '.join(map(repr, PUBLISH_MODES))}")
    for mode in PUBLISH_MODES:
        if mode not in answer:
            raise not_valid(answer, f"it has no verdict for {mode!r}; give one for each of "
                                    f"{', '.join(map(repr, PUBLISH_MODES))}")
    extra = sorted(set(answer) - set(PUBLISH_MODES), key=str)
    if extra:
        raise not_valid(answer, f"{extra[0]!r} is not a publish mode; the modes are "
                                f"{', '.join(map(repr, PUBLISH_MODES))}")
    for mode in PUBLISH_MODES:
        if answer[mode] not in VERDICTS:
            raise not_valid(answer, f"{answer[mode]!r} is not a verdict; the verdicts are "
                                    f"{', '.join(map(repr, VERDICTS))}")
    for mode in PUBLISH_MODES:
        seen = dual_write(SEED, publish=mode).verdict
        if answer[mode] != seen:
            raise Incorrect(f"with {mode!r} the checker says {seen!r}, not {answer[mode]!r}: "
                            f"{_WHY[seen]}", seed=SEED)
    return ("right: a dual write is wrong whichever comes first; only writing the event in the "
            "same transaction as the data (the outbox) makes it sent if and only if the write "
            "commits")


#: What does the checker say for each publish mode? ``exercise.check(verdicts)``.
exercise = Exercise("Notebook 09, question 1", answer_name="verdicts", grader=_grade,
                    hint="Ask, for each order of the two writes: when the crash comes between "
                         "them, which one has happened? A committed write nobody hears of is "
                         "lost; an event for a write that never committed is a phantom.",
                    solution='verdicts = {"after_commit": "lost event", '
                             '"before_commit": "phantom event", "outbox": "consistent"}',
                    reference={"after_commit": "lost event", "before_commit": "phantom event",
                               "outbox": "consistent"})
