"""A replica-set member: roles, heartbeats and elections (MongoDB protocol version 1).

Rules, each one function, guard first (RaftScope style), with the MongoDB rule cited:

* heartbeats (:mod:`caplab.kv.cp.heartbeats`): every member pings every other member every
  ``heartbeat_ms``; with ``liveness="heartbeat"`` (MongoDB, the default) the primary does too
  and a member resets its election timer when the primary answers; with ``"oplog"`` the
  primary's oplog push, :class:`Replicate`, is its heartbeat.
* ``on_election_timeout``: a secondary that has not heard from a primary for the election
  timeout (plus a random offset) calls an election, first as a *dry run* that changes no term.
* ``handle_request_vote``: one vote per term (durable); refuse a candidate whose last optime
  is older than ours; with ``dry_run_rule="raft_prevote"`` a dry run is also refused while we
  still see a healthy primary (MongoDB's default grants it: only arbiters refuse). The
  verdict comes from the cluster's ``vote_rule`` (default: MongoDB's rule, see
  :mod:`caplab.kv.cp.voting`, which holds the voter's rules), so a lab can replace it.
* ``become_primary`` on a majority of the *configured* members; the new primary writes a no-op.
* ``step_down`` when a higher term is seen, or when the primary cannot see a majority for the
  election timeout.
* ``maybe_priority_takeover``: a caught-up member with a higher priority than the primary calls
  an election to take over.

Durable (survives a crash, as MongoDB journals it): ``term``, ``voted_for``, the oplog and data.
Volatile: role, timers, the known primary, heartbeat and replication progress, waiting writes.
"""

from __future__ import annotations

from ...net.endpoint import Endpoint
from ...net.failure import FailureDetector
from .catchup import CatchUpRules
from .chaining import ChainingRules
from .journal import JournalRules
from .heartbeats import HeartbeatRules
from .messages import RequestVote, VoteReply
from .members import voting_majority, write_majority
from .oplog import Oplog
from .replication import ReplicationRules
from .serving import ServingRules
from .voting import VoterRules

__all__ = ["ReplicaNode", "PRIMARY", "SECONDARY", "CANDIDATE", "ARBITER"]

PRIMARY, SECONDARY, CANDIDATE, ARBITER = "primary", "secondary", "candidate", "arbiter"


class ReplicaNode(CatchUpRules, ChainingRules, HeartbeatRules, JournalRules, ReplicationRules,
                  ServingRules, VoterRules, Endpoint):
    """One member of a :class:`~caplab.kv.cp.ReplicaSet`."""

    def __init__(self, name: str, rs) -> None:
        super().__init__(name)
        self.rs = rs
        config = rs.config
        self.members: list[str] = list(rs.member_names)
        self.peers: list[str] = [m for m in self.members if m != name]
        table = config["members"]                   # MongoDB members[n] (members.py)
        # an arbiter holds no data, votes, is never primary; delay_ms: secondaryDelaySecs
        self.arbiter, self.votes, self.delay_ms = (table[name][k]
                                                   for k in ("arbiter", "votes", "delay_ms"))
        self.voters: list[str] = [m for m in self.members if table[m]["votes"]]
        self.data_peers = [m for m in self.peers if not table[m]["arbiter"]]
        self.arbiter_peers = [m for m in self.peers if table[m]["arbiter"]]
        self.voting_peers = [m for m in self.peers if table[m]["votes"]]
        self.data_voters = [m for m in self.voters if not table[m]["arbiter"]]
        # MongoDB: elections and the primary's liveness need a majority of the *voting*
        # members; w:"majority" needs the calculated majority of the data-bearing voters.
        self.majority = voting_majority(table)
        self.write_majority = write_majority(table)
        self.priority = config["priorities"][name]
        self.heartbeat_liveness = config["liveness"] == "heartbeat"
        self.heartbeat_ms = config["heartbeat_ms"]
        self.election_timeout_ms = config["election_timeout_ms"]
        self.election_jitter_ms = config["election_jitter_ms"]
        # -- durable -----------------------------------------------------------------------
        self.term = 0
        self.voted_for: str | None = None
        self.oplog = Oplog(observer=self.trace_oplog)   # appends and commits go in the trace
        self.unjournaled: list[tuple] = []      # (index, term, ms): in memory only (journal.py)
        self._reset_volatile()

    # -- lifecycle -----------------------------------------------------------------------
    def _reset_volatile(self) -> None:
        self.role = ARBITER if self.arbiter else SECONDARY
        self.primary_name: str | None = None    # the primary this member knows of
        self.primary_term = 0
        self.last_primary_contact_ms: int | None = None
        self.caught_up = False                  # our oplog reached the primary's last optime
        self.election_deadline_ms = 0
        self.election = None                    # dict of the dry run / election in progress
        # Who was heard from when (MongoDB: a member not heard from within
        # electionTimeoutMillis counts as down). Peers never heard from count as heard at -1,
        # just before the run began: every member trusts its peers during the run's first
        # election timeout, and (even after a restart) suspects the silent ones after it.
        self.detector = FailureDetector(self.election_timeout_ms, nodes=self.peers,
                                        assume_heard_at=-1)
        self.next_index: dict[str, int] = {}
        self.match_index: dict[str, int] = {}
        self.sent_upto: dict[str, int] = {}
        self.waiters: list = []
        self.ineligible_until_ms = 0            # rs.stepDown(): may not stand before this
        self.catch_up: dict | None = None       # a primary-elect's catch-up phase (catchup.py)
        self.stepping_down = False              # rs.stepDown() waiting for a secondary
        self.pending_takeover = None            # (time, (primary, term)): a pending takeover
        self.reset_chaining()                   # what heartbeats tell; the sync source

    def start(self) -> None:
        """Start the heartbeat and election timers (at construction and after a restart)."""
        self.reset_election_deadline(draw=True)
        self.set_timer(self.heartbeat_ms, self.on_heartbeat_timer, daemon=True)
        self.set_timer(self.election_deadline_ms - self.now, self.on_election_timer, daemon=True)

    def on_crash(self) -> None:
        # Waiting writes are lost with the connections: their clients time out (indefinite).
        # So are the entries the journal had not committed yet (journal.py).
        self.lose_unjournaled()
        self._reset_volatile()

    def on_restart(self) -> None:
        # MongoDB: a restarted member comes back in SECONDARY state (never as primary) and
        # catches up from the primary; term, vote and oplog come back from the journal.
        self._reset_volatile()
        self.trace("role", f"secondary term={self.term} (restarted)", role=SECONDARY,
                   term=self.term, restarted=True)
        self.start()

    @property
    def last_optime(self) -> tuple[int, int]:
        return self.oplog.last_optime

    # -- timers ----------------------------------------------------------------------------
    def reset_election_deadline(self, *, draw: bool = False) -> None:
        if draw or not hasattr(self, "_jitter_ms"):
            jitter = self.election_jitter_ms
            self._jitter_ms = self.rng("election").randint(0, jitter) if jitter else 0
        self.election_deadline_ms = self.now + self.election_timeout_ms + self._jitter_ms

    def on_heartbeat_timer(self) -> None:
        if self.role == PRIMARY:
            for peer in self.data_peers:
                self.send_replicate(peer)        # the primary's heartbeat carries its oplog
            # liveness="heartbeat" (MongoDB): heartbeats run both ways, apart from replication;
            # "oplog": the oplog push is the primary's heartbeat (arbiters get a plain one).
            self.send_heartbeats(None if self.heartbeat_liveness else self.arbiter_peers)
            self.maybe_step_down_no_majority()
            self.tick_catch_up()
        else:
            self.send_heartbeats()
            self.maybe_priority_takeover()
            self.maybe_chain_sync()
        self.set_timer(self.heartbeat_ms, self.on_heartbeat_timer, daemon=True)

    def on_election_timer(self) -> None:
        now = self.now
        if self.role != PRIMARY and now >= self.election_deadline_ms:
            self.on_election_timeout()
        if self.role == PRIMARY or self.election_deadline_ms <= now:
            self.reset_election_deadline()
        self.set_timer(self.election_deadline_ms - now, self.on_election_timer, daemon=True)

    def on_election_timeout(self) -> None:
        """MongoDB: a secondary that misses the primary for electionTimeoutMillis calls an
        election (after a random offset, so members rarely run at once)."""
        if self.role == PRIMARY:
            return
        self.primary_name = None
        if self.role == CANDIDATE:
            self.become_secondary("election timed out")
        self.reset_election_deadline(draw=True)
        if self.priority <= 0:
            return  # MongoDB: a priority 0 member never seeks election
        self.start_dry_run(takeover=False)

    # -- terms -----------------------------------------------------------------------------
    def observe_term(self, term: int, src: str) -> bool:
        """MongoDB: any member that sees a higher term adopts it and steps down."""
        if term <= self.term:
            return False
        self.term = term
        self.voted_for = None
        self.election = None
        self.trace("term", f"term={term} (seen from {src})", src, term=term)
        if self.role in (PRIMARY, CANDIDATE):
            self.step_down(f"saw term {term} from {src}")
        self.primary_name = None
        return True

    # -- heartbeats (heartbeats.py) and the primary's view of the majority -----------------
    def maybe_step_down_no_majority(self) -> None:
        """MongoDB: a primary that cannot see a majority of the set for the election timeout
        steps down (it can no longer commit writes, and a new primary may exist)."""
        if self.role != PRIMARY:
            return
        now = self.now
        seen = 1 + sum(1 for p in self.voting_peers if self.detector.is_alive(p, now))
        if seen < self.majority:
            self.step_down(f"cannot see a majority ({seen}/{len(self.voters)} voting members)")

    def maybe_priority_takeover(self) -> None:
        """MongoDB: a member with a higher priority than the primary that has caught up with
        the primary's oplog calls an election to take over (priority takeover), after
        ``(priority rank + 1) * electionTimeoutMillis`` plus its random offset, rank 0 being
        the highest priority of the set (``ReplSetConfig::getPriorityTakeoverDelay``)."""
        primary = self.primary_name
        if (self.role != SECONDARY or primary is None or primary == self.name
                or (self.election is not None
                    and self.now - self.election["start_ms"] < self.election_timeout_ms)
                or not self.caught_up
                or self.primary_term != self.term
                or self.priority <= self.rs.config["priorities"][primary]):
            self.pending_takeover = None
            return
        against = (primary, self.primary_term)
        if self.pending_takeover is None or self.pending_takeover[1] != against:
            # (Re)start the delay for this primary and term: a delay counted against an earlier
            # primary does not carry over to its successor.
            priorities = self.rs.config["priorities"].values()
            rank = len({p for p in priorities if p > self.priority})
            delay = (rank + 1) * self.election_timeout_ms + self._jitter_ms
            self.pending_takeover = (self.now + delay, against)
            self.trace("election", f"priority {self.priority} > primary {primary}'s: priority "
                                   f"takeover in {delay} ms if still caught up",
                       action="takeover_scheduled", priority=self.priority, primary=primary,
                       term=self.primary_term, delay_ms=delay)
            return
        if self.now >= self.pending_takeover[0]:
            self.pending_takeover = None
            self.start_dry_run(takeover=True)

    # -- elections -------------------------------------------------------------------------
    def start_dry_run(self, *, takeover: bool) -> None:
        """MongoDB pv1: ask for votes for ``term + 1`` without changing anyone's term, so an
        isolated member cannot inflate terms and depose a healthy primary when it returns."""
        if self.role != SECONDARY or self.priority <= 0:
            return
        if self.now < self.ineligible_until_ms:
            return  # MongoDB: after rs.stepDown() a member is not electable for stepDownSecs
        term = self.term + 1
        self.election = {"phase": "dry_run", "term": term, "votes": {self.name},
                         "refusals": set(), "takeover": takeover, "start_ms": self.now}
        self.trace("election", f"dry run for term={term}"
                               + (" (priority takeover)" if takeover else ""),
                   action="dry_run", term=term, takeover=takeover)
        if len(self.election["votes"]) >= self.majority:
            self.start_election()
            return
        ask = RequestVote(term, self.name, self.last_optime, True, takeover)
        for peer in self.voting_peers:       # MongoDB: only voting members are asked
            self.send(peer, ask)

    def handle_step_up(self, msg, src: str) -> None:
        """Election handoff: the primary that just stepped down chose us (caught up, electable);
        stand at once, without waiting out the election timeout or a dry run (MongoDB's
        ``replSetStepUp`` with ``skipDryRun``)."""
        if self.role != SECONDARY or self.priority <= 0 or msg.term < self.term:
            return
        if self.now < self.ineligible_until_ms:
            return
        self.election = {"phase": "dry_run", "term": self.term + 1, "votes": {self.name},
                         "refusals": set(), "takeover": False, "start_ms": self.now}
        self.trace("election", f"election handoff from {src}: standing for "
                               f"term={self.term + 1}", src,
                   action="handoff", term=self.term + 1, nominated_by=src)
        self.start_election()

    def start_election(self) -> None:
        """Increment the term, vote for ourselves (durably) and ask every member."""
        election = self.election
        if self.role != SECONDARY or election is None or election["term"] != self.term + 1:
            return
        self.term += 1
        self.voted_for = self.name
        self.role = CANDIDATE
        self.primary_name = None
        election.update(phase="election", votes={self.name}, refusals=set())
        self.reset_election_deadline(draw=True)
        self.trace("role", f"candidate term={self.term}", role=CANDIDATE, term=self.term)
        if len(election["votes"]) >= self.majority:
            self.become_primary()
            return
        ask = RequestVote(self.term, self.name, self.last_optime, False, election["takeover"])
        for peer in self.voting_peers:
            self.send(peer, ask)

    def handle_request_vote(self, msg: RequestVote, src: str) -> None:
        if msg.dry_run:
            granted, reason = self.dry_run_verdict(msg)
        else:
            self.observe_term(msg.term, src)
            granted, reason = self.vote_verdict(msg)
            if granted:
                self.voted_for = msg.candidate     # durable: one vote per term
                self.reset_election_deadline()
        self.trace("election", f"{'grant' if granted else 'refuse'} "
                               f"{'dry run ' if msg.dry_run else ''}vote to {msg.candidate} "
                               f"for term={msg.term}: {reason}", peer=src,
                   action="vote", candidate=msg.candidate, term=msg.term, granted=granted,
                   dry_run=msg.dry_run, reason=reason)
        self.send(src, VoteReply(self.term, msg.term, granted, msg.dry_run, reason))

    def handle_vote_reply(self, msg: VoteReply, src: str) -> None:
        if self.observe_term(msg.term, src):
            return
        election = self.election
        if election is None or election["term"] != msg.for_term:
            return
        if msg.dry_run != (election["phase"] == "dry_run"):
            return
        if src not in self.voting_peers:
            return      # a member with votes=0 has no say (it is not asked either)
        (election["votes"] if msg.granted else election["refusals"]).add(src)
        if len(election["votes"]) >= self.majority:
            if msg.dry_run:
                self.start_election()
            elif self.role == CANDIDATE:
                self.become_primary()
        elif len(election["refusals"]) > len(self.voters) - self.majority:
            self.lose_election(f"refused by {', '.join(sorted(election['refusals']))}")

    def lose_election(self, reason: str) -> None:
        election = self.election
        self.election = None
        self.trace("election", f"lost {election['phase'].replace('_', ' ')} for "
                               f"term={election['term']}: {reason}",
                   action="lost", phase=election["phase"], term=election["term"],
                   refused_by=tuple(sorted(election["refusals"])), reason=reason)
        if self.role == CANDIDATE:
            self.become_secondary("lost the election")

    def become_primary(self) -> None:
        """Won a majority of the configured members: become primary, catch up, write a no-op.

        MongoDB: a newly elected primary first catches up with any member that holds newer
        entries (:mod:`caplab.kv.cp.catchup`), then writes a no-op oplog entry in its term; once
        that is majority-committed, every earlier entry it holds is committed too.
        """
        election = self.election
        if self.role != CANDIDATE or election is None:
            return
        self.election = None
        self.role = PRIMARY
        self.primary_name = self.name
        self.primary_term = self.term
        last = self.oplog.last_index
        now = self.now
        detector = self.detector
        up = {p for p in self.data_peers if detector.is_alive(p, now)}
        for peer in self.peers:
            self.next_index[peer] = last + 1
            self.match_index[peer] = 0
            self.sent_upto[peer] = last
            detector.trust(peer, now)       # a fresh primary gives every member a full timeout
        self.trace("role", f"primary term={self.term}", role=PRIMARY, term=self.term)
        voters = ", ".join(sorted(election["votes"]))
        self.trace("election", f"won term={self.term} with {len(election['votes'])}/"
                               f"{len(self.members)} votes ({voters})",
                   action="won", term=self.term, winner=self.name,
                   votes=tuple(sorted(election["votes"])), members=len(self.members))
        self.rs.record_election(election["start_ms"], now, self.name, self.term)
        # MongoDB: catch up with any fresher member, then write a no-op in the new term (once
        # majority-committed, every earlier entry it holds is committed too) and accept writes.
        self.start_catch_up(up)

    def step_down(self, reason: str) -> None:
        """Primary or candidate -> secondary. Writes waiting for their write concern get an
        error that says they may still have been applied (MongoDB 4.2+: the primary kills the
        operations in progress; its client connections stay open)."""
        if self.role not in (PRIMARY, CANDIDATE):
            return
        was_primary = self.role == PRIMARY
        self.role = SECONDARY
        self.election = None
        self.catch_up = None
        if self.primary_name == self.name:
            self.primary_name = None
        self.reset_election_deadline(draw=True)
        self.trace("role", f"secondary term={self.term} (stepped down: {reason})",
                   role=SECONDARY, term=self.term, previous=PRIMARY if was_primary else CANDIDATE,
                   reason=reason)
        if was_primary:
            self.fail_waiters(reason)
            self.next_index.clear()
            self.match_index.clear()
            self.sent_upto.clear()

    def become_secondary(self, reason: str) -> None:
        self.step_down(reason)
