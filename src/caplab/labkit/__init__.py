"""Exercises a student solves in a notebook and an auto-checker grades by simulation.

Each exercise has ``check()``, ``hint()`` and ``solution()``, in the style of Kaggle's
auto-checked exercises. ``check()`` runs the student's code in the simulator (under random
faults where that matters) and answers *Correct*, *Incorrect* (with the reason and a failing seed
to replay) or *Not attempted*.

Example (in a lab notebook)::

    from caplab.labkit.labs import lab01
    q1 = lab01.q1
    def choose(requirements): ...      # the student's answer
    q1.check(choose)
    q1.hint(); q1.solution()
"""

from .exercise import CORRECT, INCORRECT, NOT_ATTEMPTED, Exercise, Incorrect, Outcome

__all__ = ["Exercise", "Outcome", "Incorrect", "CORRECT", "INCORRECT", "NOT_ATTEMPTED"]
