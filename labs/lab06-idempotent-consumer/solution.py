"""Lab 6 reference answer: an idempotent consumer. Its one copy is in the library
(``caplab.labkit.labs.lab06.reference_apply_payment``); print it with
``lab06.q1.solution()``, check it with ``lab06.q1.check(apply_payment)``."""

from caplab.labkit.labs.lab06 import reference_apply_payment as apply_payment

__all__ = ["apply_payment"]
