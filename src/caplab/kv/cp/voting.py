"""The voting rule of an election as a replaceable function (the ``vote_rule`` option).

A voter decides on a :class:`Ballot` (plain data: its own term, vote and last optime, and the
candidate's) and answers ``(granted, reason)``. The default, :func:`mongodb_vote_rule`, is
MongoDB's: refuse an older term, one vote per term, refuse a candidate whose last optime is
older than the voter's. A lab can plug in another rule (``Cluster(mode="cp", vote_rule=fn)``)
and watch what a wrong one does to majority-acknowledged writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ConfigError

__all__ = ["Ballot", "mongodb_vote_rule", "check_vote_rule", "apply_vote_rule", "VoterRules"]


@dataclass(frozen=True)
class Ballot:
    """What a voter knows when a candidate asks for its vote.

    Attributes:
        voter: the voter's name.
        voter_term: the voter's current term (already raised to the candidate's term if that was
            higher: a member that sees a higher term adopts it and forgets its vote).
        voted_for: whom the voter voted for in ``voter_term`` (None: nobody yet).
        voter_last_optime: ``(term, index)`` of the voter's last oplog entry.
        candidate: the candidate's name.
        candidate_term: the term the candidate asks votes for.
        candidate_last_optime: ``(term, index)`` of the candidate's last oplog entry.
        dry_run: True for the pre-election poll (MongoDB pv1's dry run), which changes no term
            and records no vote.
    """

    voter: str
    voter_term: int
    voted_for: str | None
    voter_last_optime: tuple
    candidate: str
    candidate_term: int
    candidate_last_optime: tuple
    dry_run: bool = False


def mongodb_vote_rule(ballot: Ballot) -> tuple[bool, str]:
    """MongoDB's (and Raft's) rule: grant at most one vote per term, never to an older term, and
    never to a candidate whose last optime is older than the voter's own.

    Example:
        >>> mongodb_vote_rule(Ballot("n2", 3, None, (2, 7), "n1", 3, (2, 5)))
        (False, "candidate's last optime (2, 5) is older than mine (2, 7)")
    """
    if ballot.candidate_term < ballot.voter_term:
        return False, (f"candidate's term {ballot.candidate_term} is older than mine "
                       f"({ballot.voter_term})")
    if ballot.voted_for not in (None, ballot.candidate):
        return False, f"already voted for {ballot.voted_for} in term {ballot.voter_term}"
    # MongoDB: a voter refuses a candidate whose last optime is older than its own.
    if tuple(ballot.candidate_last_optime) < tuple(ballot.voter_last_optime):
        return False, (f"candidate's last optime {tuple(ballot.candidate_last_optime)} is older "
                       f"than mine {tuple(ballot.voter_last_optime)}")
    return True, "ok"


def check_vote_rule(rule):
    """``None`` (MongoDB's rule) or a callable ``rule(ballot) -> (granted, reason)``."""
    if rule is None:
        return mongodb_vote_rule
    if not callable(rule):
        raise ConfigError(f"vote_rule must be a function ballot -> (granted, reason) or None "
                          f"(MongoDB's rule), got {rule!r}")
    return rule


def apply_vote_rule(rule, ballot: Ballot) -> tuple[bool, str]:
    """Call ``rule`` and normalise its answer: ``(bool, str)``, or a plain bool.

    Raises:
        ConfigError: the rule returned something else (it is named, with what was returned).
    """
    answer = rule(ballot)
    if isinstance(answer, bool):
        return answer, "ok" if answer else "refused by the vote rule"
    if (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], bool)):
        return answer[0], str(answer[1])
    name = getattr(rule, "__name__", repr(rule))
    raise ConfigError(f"vote_rule {name} returned {answer!r}; it must return (granted, reason), "
                      f"e.g. (True, 'ok') or (False, 'already voted for n2')")


class VoterRules:
    """Mixin of :class:`~caplab.kv.cp.node.ReplicaNode`: how a member decides on a vote."""

    def ballot(self, msg) -> Ballot:
        """The plain data the vote rule decides on (see :mod:`caplab.kv.cp.voting`)."""
        # A dry run asks about term msg.term > ours, in which we have not voted yet.
        voted_for = None if msg.dry_run else self.voted_for
        return Ballot(self.name, self.term, voted_for, self.last_optime, msg.candidate,
                      msg.term, tuple(msg.last_optime), msg.dry_run)

    def vote_verdict(self, msg) -> tuple[bool, str]:
        # The cluster's vote_rule (default: MongoDB's, caplab.kv.cp.voting.mongodb_vote_rule):
        # older term refused, one vote per term, a candidate with an older last optime refused.
        return apply_vote_rule(self.rs.vote_rule, self.ballot(msg))

    def dry_run_verdict(self, msg) -> tuple[bool, str]:
        if msg.term <= self.term:
            return False, f"term {msg.term} is not newer than mine ({self.term})"
        granted, reason = apply_vote_rule(self.rs.vote_rule, self.ballot(msg))
        if not granted:
            return False, reason
        # MongoDB: a data-bearing member grants a dry run whatever primary it sees; an arbiter
        # refuses while it sees a healthy primary of equal or greater priority than the
        # candidate ("preventing flapping"). Raft's pre-vote: every voter refuses.
        if msg.takeover or not self.sees_healthy_primary():
            return True, reason
        if self.rs.config["dry_run_rule"] == "raft_prevote":
            return False, f"I still see primary {self.primary_name}"
        priorities = self.rs.config["priorities"]
        if self.arbiter and priorities[self.primary_name] >= priorities[msg.candidate]:
            return False, (f"arbiter: I still see primary {self.primary_name} of equal or "
                           f"greater priority")
        return True, reason

    def sees_healthy_primary(self) -> bool:
        """Primary ourselves, or heard from the primary within the election timeout."""
        if self.role == "primary":
            return True
        contact = self.last_primary_contact_ms
        return (self.primary_name is not None and contact is not None
                and self.now - contact < self.election_timeout_ms)
