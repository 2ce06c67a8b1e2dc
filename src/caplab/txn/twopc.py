"""Two-phase commit: a coordinator and its participants, with presumed abort, recovery from the
coordinator's log and cooperative termination.

Phase one: the coordinator sends ``Prepare``; each participant locks its rows and votes yes
(its write set and locks made durable, PostgreSQL ``PREPARE TRANSACTION``) or no. Phase two:
the coordinator logs a commit decision before telling anyone (a no vote or a vote timeout
aborts, and under *presumed abort* an abort is never logged), sends ``Decision`` and collects
acknowledgements, resending a commit until every participant has it. A participant that voted
yes may not decide alone: it asks the coordinator (``QueryOutcome``) and, with cooperative
termination, its peers (``PeerQuery``), and stays blocked, holding its locks, while nobody
knows. Faults covered: coordinator crash at any phase, participant crash after voting,
partitions between coordinator and participants.
"""

from __future__ import annotations

from ..net.endpoint import Endpoint
from ..net.message import message
from .domains import Refused
from .service import Service

__all__ = ["Coordinator", "Participant", "PHASES", "Begin", "Prepare", "Vote", "Decision",
           "Ack", "QueryOutcome", "Outcome", "PeerQuery", "PeerState", "TxnOutcome"]

#: where a coordinator can be made to crash (a panel's "crash at phase" choice)
PHASES = ("before_prepare", "after_votes", "after_decision", "during_commit")


@message
class Begin:
    txid: str
    ops: tuple          # ((service, action, args), ...)


@message
class Prepare:
    txid: str
    action: str
    args: dict
    peers: tuple


@message
class Vote:
    txid: str
    yes: bool
    reason: str = ""


@message
class Decision:
    txid: str
    commit: bool


@message
class Ack:
    txid: str


@message
class QueryOutcome:
    txid: str


@message
class Outcome:
    txid: str
    commit: bool


@message
class PeerQuery:
    txid: str


@message
class PeerState:
    txid: str
    state: str          # "committed", "aborted" or "uncertain"


@message
class TxnOutcome:
    txid: str
    committed: bool
    reason: str = ""


class _Txn:
    """The coordinator's volatile record of one transaction in flight."""

    __slots__ = ("txid", "client", "ops", "votes", "timer", "acks", "started_ms")

    def __init__(self, txid, client, ops, now_ms) -> None:
        self.txid = txid
        self.client = client
        self.ops = ops
        self.votes: dict = {}
        self.timer = None
        self.acks: set = set()
        self.started_ms = now_ms

    @property
    def participants(self) -> tuple:
        return tuple(op[0] for op in self.ops)


class Coordinator(Endpoint):
    """The transaction manager. Durable: ``decisions`` (txid -> participants of a logged
    commit) and ``ended`` (commits every participant acknowledged). Volatile: ``active``.

    Args:
        name: endpoint name.
        vote_timeout_ms: abort when a vote has not arrived by then.
        retry_ms: how often an unacknowledged commit decision is resent.
    """

    def __init__(self, name: str, *, vote_timeout_ms: int, retry_ms: int) -> None:
        super().__init__(name)
        self.vote_timeout_ms = vote_timeout_ms
        self.retry_ms = retry_ms
        self.decisions: dict[str, tuple] = {}     # durable: the commit log (presumed abort)
        self.ended: set[str] = set()              # durable: "end" records
        self.aborted = 0                          # (statistics only)
        self.active: dict[str, _Txn] = {}
        self.crash_plan: dict[str, str | None] = {}   # phase -> txid (None: the next one)

    # -- crash-at-phase hook (operator action, like RaftScope's "stop") ---------------------
    def _crash_here(self, phase: str, txid: str) -> bool:
        if phase in self.crash_plan and self.crash_plan[phase] in (None, txid):
            del self.crash_plan[phase]
            self.trace("txn", f"{txid} coordinator crashes {phase.replace('_', ' ')}")
            self.network.crash(self.name)
            return True
        return False

    # -- phase one ----------------------------------------------------------------------
    def handle_begin(self, msg: Begin, src: str) -> None:
        if msg.txid in self.active or msg.txid in self.decisions:
            return                       # a duplicate request
        if self._crash_here("before_prepare", msg.txid):
            return
        txn = _Txn(msg.txid, src, msg.ops, self.now)
        self.active[msg.txid] = txn
        peers = txn.participants
        for service, action, args in msg.ops:
            self.send(service, Prepare(msg.txid, action, args, peers))
        txn.timer = self.set_timer(self.vote_timeout_ms, self.on_vote_timeout, msg.txid)

    def handle_vote(self, msg: Vote, src: str) -> None:
        txn = self.active.get(msg.txid)
        if txn is None or msg.txid in self.decisions:
            return
        if not msg.yes:
            self.abort(txn, f"{src} voted no: {msg.reason}")
            return
        txn.votes[src] = True
        if len(txn.votes) == len(txn.ops):
            self.commit(txn)

    def on_vote_timeout(self, txid: str) -> None:
        txn = self.active.get(txid)
        if txn is not None and txid not in self.decisions:
            missing = [p for p in txn.participants if p not in txn.votes]
            self.abort(txn, f"vote timeout: no vote from {', '.join(missing)}")

    # -- phase two ----------------------------------------------------------------------
    def abort(self, txn: _Txn, reason: str) -> None:
        """Presumed abort: nothing is logged; tell the participants once and forget."""
        if txn.timer is not None:
            txn.timer.cancel()
        del self.active[txn.txid]
        self.aborted += 1
        self.trace("txn", f"{txn.txid} decide abort ({reason})")
        for service in txn.participants:
            self.send(service, Decision(txn.txid, False))
        self.send(txn.client, TxnOutcome(txn.txid, False, reason))

    def commit(self, txn: _Txn) -> None:
        """Log the commit decision (the commit point), then tell everyone."""
        txn.timer.cancel()
        if self._crash_here("after_votes", txn.txid):
            return
        self.decisions[txn.txid] = txn.participants           # durable before phase two
        self.trace("txn", f"{txn.txid} decide commit (logged)")
        if self._crash_here("after_decision", txn.txid):
            return
        for index, service in enumerate(txn.participants):
            self.send(service, Decision(txn.txid, True))
            if index == 0 and self._crash_here("during_commit", txn.txid):
                return
        self.send(txn.client, TxnOutcome(txn.txid, True))
        txn.timer = self.set_timer(self.retry_ms, self.on_retry, txn.txid, daemon=True)

    def on_retry(self, txid: str) -> None:
        txn = self.active.get(txid)
        if txn is None:
            return
        for service in txn.participants:
            if service not in txn.acks:
                self.send(service, Decision(txid, True))
        txn.timer = self.set_timer(self.retry_ms, self.on_retry, txid, daemon=True)

    def handle_ack(self, msg: Ack, src: str) -> None:
        txn = self.active.get(msg.txid)
        if txn is None:
            return
        txn.acks.add(src)
        if len(txn.acks) == len(txn.ops):
            txn.timer.cancel()
            del self.active[msg.txid]
            self.ended.add(msg.txid)            # the "end" record: the decision can be forgotten

    def handle_query_outcome(self, msg: QueryOutcome, src: str) -> None:
        if msg.txid in self.decisions:
            self.send(src, Outcome(msg.txid, True))
        elif msg.txid not in self.active:
            # Presumed abort: no decision record means abort.
            self.send(src, Outcome(msg.txid, False))
        # else: still collecting votes; the participant asks again later

    # -- crash and recovery -----------------------------------------------------------------
    def on_crash(self) -> None:
        self.active = {}

    def on_restart(self) -> None:
        """Recover from the log: resend every logged commit not yet acknowledged by all."""
        for txid, participants in sorted(self.decisions.items()):
            if txid in self.ended:
                continue
            ops = tuple((p, None, None) for p in participants)
            txn = _Txn(txid, None, ops, self.now)
            self.active[txid] = txn
            self.trace("txn", f"{txid} recovered commit decision from the log; resending")
            for service in participants:
                self.send(service, Decision(txid, True))
            txn.timer = self.set_timer(self.retry_ms, self.on_retry, txid, daemon=True)


class Participant(Service):
    """A service taking part in two-phase commit (a resource manager).

    Durable beyond the store: ``txinfo`` (txid -> (coordinator, peers)) written with the
    prepare record, so a restarted participant knows whom to ask.

    Args:
        inquiry_ms: how long a prepared participant waits for the decision before asking,
            and how often it asks again.
        cooperative: ask the peers too (cooperative termination), not only the coordinator.
    """

    def __init__(self, name, domain, sequencer=None, *, inquiry_ms: int,
                 cooperative: bool = True) -> None:
        super().__init__(name, domain, sequencer)
        self.inquiry_ms = inquiry_ms
        self.cooperative = cooperative
        self.txinfo: dict[str, tuple] = {}
        self.locking: dict[str, str] = {}       # volatile: txid -> coordinator, waiting
        self._inquiry: dict = {}                # volatile: txid -> the inquiry timer

    def handle_prepare(self, msg: Prepare, src: str) -> None:
        txid, store = msg.txid, self.store
        if txid in store.prepared:
            self.send(src, Vote(txid, True))          # a resent prepare: same vote
            return
        if txid in store.outcomes:
            self.send(src, Vote(txid, False, f"{self.name} already aborted {txid}"))
            return
        if txid in self.locking:
            return
        self.locking[txid] = src
        incarnation = self.incarnation

        def locked():
            if incarnation == self.incarnation and txid in self.locking:
                self._vote(msg, src)

        if store.lock(txid, self.rows_for(msg.action, msg.args), self.now, on_granted=locked):
            locked()

    def _vote(self, msg: Prepare, src: str) -> None:
        txid, store = msg.txid, self.store
        del self.locking[txid]
        try:
            writes, _ = self.compute(msg.action, msg.args)
        except Refused as exc:
            store.rollback(txid, self.now)           # a failed PREPARE is a ROLLBACK
            store.record_abort(txid, self.now)
            self.send(src, Vote(txid, False, str(exc)))
            return
        store.prepare(txid, writes, self.now)
        self.txinfo[txid] = (src, tuple(p for p in msg.peers if p != self.name))
        self.send(src, Vote(txid, True))
        self._inquiry[txid] = self.set_timer(self.inquiry_ms, self.on_decision_timeout, txid,
                                             daemon=True)

    def _finish(self, txid: str, commit: bool, how: str) -> None:
        store = self.store
        timer = self._inquiry.pop(txid, None)
        if timer is not None:
            timer.cancel()
        if commit:
            if store.commit_prepared(txid, self.now):
                self.trace("txn", f"{txid} committed ({how})")
            return
        if txid in self.locking:                     # aborted while waiting for its locks
            del self.locking[txid]
            if not store.cancel_wait(txid, self.now):
                store.rollback(txid, self.now)
            store.record_abort(txid, self.now)
        elif store.rollback_prepared(txid, self.now):
            self.trace("txn", f"{txid} aborted ({how})")
        else:
            store.record_abort(txid, self.now)

    def handle_decision(self, msg: Decision, src: str) -> None:
        self._finish(msg.txid, msg.commit, "decision")
        if msg.commit:
            # Presumed abort: only a commit is acknowledged (the coordinator keeps its commit
            # record until every participant has it); an abort notice is a courtesy the
            # coordinator has already forgotten, so it needs no acknowledgement.
            self.send(src, Ack(msg.txid))

    def handle_outcome(self, msg: Outcome, src: str) -> None:
        self._finish(msg.txid, msg.commit, "asked the coordinator")

    def on_decision_timeout(self, txid: str) -> None:
        """Still prepared and no decision: ask (a yes voter may not decide alone)."""
        if txid not in self.store.prepared:
            return
        coordinator, peers = self.txinfo[txid]
        self.trace("txn", f"{txid} in doubt: asking {coordinator}"
                   + (f" and peers {', '.join(peers)}" if self.cooperative and peers else ""))
        self.send(coordinator, QueryOutcome(txid))
        if self.cooperative:
            for peer in peers:
                self.send(peer, PeerQuery(txid))
        self._inquiry[txid] = self.set_timer(self.inquiry_ms, self.on_decision_timeout, txid,
                                             daemon=True)

    def handle_peer_query(self, msg: PeerQuery, src: str) -> None:
        txid, store = msg.txid, self.store
        if txid in store.outcomes:
            state = store.outcomes[txid]
        elif txid in store.prepared:
            state = "uncertain"
        else:
            # Not yet voted: it may still abort alone, and does, so both abort.
            self._finish(txid, False, f"{src} asked before this participant voted")
            state = "aborted"
        self.send(src, PeerState(txid, state))

    def handle_peer_state(self, msg: PeerState, src: str) -> None:
        if msg.state != "uncertain":
            self._finish(msg.txid, msg.state == "committed", f"learned from peer {src}")

    def on_crash(self) -> None:
        self.locking = {}
        self._inquiry = {}
        super().on_crash()

    def on_restart(self) -> None:
        """Still prepared after a restart: re-take the locks and ask for the outcome."""
        for txid in self.store.recover(self.now):
            self.trace("txn", f"{txid} still prepared after restart; asking for the outcome")
            self.on_decision_timeout(txid)
