"""Lab 12 reference answer: a plan that survives the sale spike. Its one copy is in the library
(``caplab.labkit.labs.lab12.REFERENCE``); print it with ``lab12.q1.solution()``, check it with
``lab12.q1.check(plan)``."""

from caplab.labkit.labs.lab12 import REFERENCE as plan

__all__ = ["plan"]
