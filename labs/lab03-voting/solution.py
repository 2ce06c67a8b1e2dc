"""Lab 3 reference answer: MongoDB's (and Raft's) voting rule, the one the replica set itself
uses. It has one copy, in the library (``caplab.kv.cp.voting.mongodb_vote_rule``); print its
source with ``caplab.labkit.labs.lab03.q1.solution()``. Check it with
``caplab.labkit.labs.lab03.q1.check(vote_rule)``."""

from caplab.kv.cp.voting import mongodb_vote_rule as vote_rule

__all__ = ["vote_rule"]
