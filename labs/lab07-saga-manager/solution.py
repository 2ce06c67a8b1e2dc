"""Lab 7 reference answer: the seed manager fixed. Its one copy is in the library
(``caplab.labkit.labs.lab07.ReferenceManager``); print it with ``lab07.q1.solution()``, check
it with ``lab07.q1.check(MyManager)``."""

from caplab.labkit.labs.lab07 import ReferenceManager as MyManager

__all__ = ["MyManager"]
