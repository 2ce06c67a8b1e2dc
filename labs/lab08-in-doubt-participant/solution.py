"""Lab 8 reference answer: the in-doubt rule of a 2PC participant. Its one copy is in the
library (``caplab.labkit.labs.lab08.reference_in_doubt_rule``); print it with
``lab08.q1.solution()``, check it with ``lab08.q1.check(in_doubt_rule)``."""

from caplab.labkit.labs.lab08 import reference_in_doubt_rule as in_doubt_rule

__all__ = ["in_doubt_rule"]
