"""Notebook 07 (transactions across services): at which crash points of the coordinator are
participants left blocked, holding their locks?

Example::

    from caplab.labkit.course import nb07
    blocking_phases = {"after_votes", "after_decision"}
    nb07.exercise.check(blocking_phases)
"""

from __future__ import annotations

from ...txn import PHASES, TwoPhaseCommit
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise", "SEED", "blocked_after_crash"]

#: The seed the notebook's experiment uses.
SEED = 1


def blocked_after_crash(phase: str, seed: int = SEED) -> dict:
    """Crash the coordinator at ``phase`` during one order; service -> transactions it holds
    prepared (and locked) 2 s later, with the coordinator still down."""
    tpc = TwoPhaseCommit(participants=3, seed=seed)
    tpc.crash_at(phase)
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(2000)
    return {s: txs for s, txs in tpc.blocked().items() if txs}


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted(f"replace ... with a set of crash points among "
                           f"{', '.join(map(repr, PHASES))}")
    if isinstance(answer, str) or not isinstance(answer, (set, frozenset, list, tuple)):
        raise not_valid(answer, f"give a set of crash points, e.g. {{{PHASES[0]!r}}}, among "
                                f"{', '.join(map(repr, PHASES))}")
    unknown = [a for a in answer if a not in PHASES]
    if unknown:
        raise not_valid(answer, f"{unknown[0]!r} is not a crash point; the crash points are "
                                f"{', '.join(map(repr, PHASES))}")
    for phase in PHASES:
        blocked = blocked_after_crash(phase)
        if phase in answer and not blocked:
            raise Incorrect(f"crashed {phase.replace('_', ' ')}, nobody is left blocked: "
                            + ("no participant had voted yes, so each aborts on its own"
                               if phase == "before_prepare" else
                               "a participant that committed tells the uncertain ones "
                               "(cooperative termination)"), seed=SEED)
        if phase not in answer and blocked:
            held = "; ".join(f"{s} holds {', '.join(t)} prepared" for s, t in
                             sorted(blocked.items()))
            raise Incorrect(f"crashed {phase.replace('_', ' ')}, {held}: a participant that "
                            f"voted yes may not decide alone", seed=SEED)
    return ("right: after every yes vote and before any participant learns the decision, "
            "nobody can decide; the participants wait, holding their locks")


#: Which crash points leave participants blocked? ``exercise.check(blocking_phases)``.
exercise = Exercise("Notebook 07, question 1", answer_name="blocking_phases", grader=_grade,
                    hint="A participant may decide alone until it has voted yes; once one "
                         "participant knows the outcome, the others can ask it.",
                    solution='blocking_phases = {"after_votes", "after_decision"}',
                    reference={"after_votes", "after_decision"})
