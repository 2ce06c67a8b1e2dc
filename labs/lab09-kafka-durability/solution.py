"""Lab 9 reference answers: Kafka durability. Their one copy is in the library
(``caplab.labkit.labs.lab09.REFERENCE``); print them with ``lab09.q1.solution()``, check them
with ``lab09.q1.check(answer_q1)``."""

from caplab.labkit.labs.lab09 import REFERENCE

answer_q1 = dict(REFERENCE[1])
answer_q2 = dict(REFERENCE[2])
answer_q3 = dict(REFERENCE[3])
answer_q4 = dict(REFERENCE[4])

__all__ = ["answer_q1", "answer_q2", "answer_q3", "answer_q4"]
