"""Lab 10 reference answer: a projection that drops duplicates by version and holds back early
events. Its one copy is in the library (``caplab.labkit.labs.lab10.reference_apply``); print it
with ``lab10.q1.solution()``, check it with ``lab10.q1.check(apply)``."""

from caplab.labkit.labs.lab10 import reference_apply as apply

__all__ = ["apply"]
