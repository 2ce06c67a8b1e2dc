"""Lab 11 reference answer: a breaker and a retry policy for a flapping dependency. Its one copy
is in the library (``caplab.labkit.labs.lab11.REFERENCE``); print it with
``lab11.q1.solution()``, check it with ``lab11.q1.check(policy)``."""

from caplab.labkit.labs.lab11 import REFERENCE as policy

__all__ = ["policy"]
