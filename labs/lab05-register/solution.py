"""Lab 5 reference answers: a single-node register (q1) and ABD, a quorum register (q2)
(Attiya, Bar-Noy, Dolev 1995, multi-writer form). They have one copy, in the library
(``caplab.labkit.labs.lab05``); print their source with ``lab05.q1.solution()`` and
``lab05.q2.solution()``, which name them as the notebook does (``SingleNode``, ``QuorumNode``).
Check them with ``lab05.q1.check(SingleNode)`` and ``lab05.q2.check(QuorumNode)``."""

from caplab.labkit.labs.lab05 import QuorumRegister as QuorumNode
from caplab.labkit.labs.lab05 import SingleRegister as SingleNode

__all__ = ["SingleNode", "QuorumNode"]
