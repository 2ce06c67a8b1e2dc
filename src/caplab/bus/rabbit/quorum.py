"""Quorum queues: a queue replicated with Raft over several broker nodes (RabbitMQ's Ra).

Every operation on the queue (enqueue, settle, return, reject) is a log entry; the leader
confirms an enqueue once the entry is on a majority, and applies an entry (enqueue becomes
ready, an ack removes the message, a return requeues it with its delivery count raised) once
committed. Without a majority nothing commits: publishes go unconfirmed and nothing new is
delivered. A returned message whose delivery count exceeds ``x-delivery-limit`` (20 by default
since RabbitMQ 4.0) is dead-lettered with reason ``delivery_limit``.

Durable (Ra writes its log to disk before acknowledging): term, vote and log. Volatile: role,
commit index, the applied queue state and its consumers; a restarted replica rebuilds the queue
by applying the log again as the leader tells it what is committed.

Sources: RabbitMQ documentation, "Quorum Queues" (Raft; a majority of replicas, (N/2)+1, must
be available; publisher confirms once a majority has the message; poison message handling with
a delivery limit); Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm"
(2014). Deviations: every return counts toward the delivery limit (RabbitMQ 4.0 refines which
do); leader election uses randomised timeouts checked on the node's heartbeat tick; a new
leader flags every message it inherits as redelivered (checkouts are not in our log).
"""

from __future__ import annotations

from .messages import (AppendEntries, AppendReply, ChannelClosed, Enqueue, RequestVote,
                       VoteReply)
from .queue import QMsg, QueueState

__all__ = ["Member", "QuorumRules", "LEADER", "FOLLOWER", "CANDIDATE"]

LEADER, FOLLOWER, CANDIDATE = "leader", "follower", "candidate"


class Member:
    """One replica of a quorum queue on one node."""

    def __init__(self, queue: str, members: tuple, initial_leader: bool) -> None:
        self.queue = queue
        self.members = members
        # -- durable -------------------------------------------------------------------------
        self.term = 1 if initial_leader else 0
        self.voted_for = None
        self.log: list[tuple[int, tuple]] = []
        self.reset(initial_leader)

    def reset(self, leader: bool = False) -> None:
        self.role = LEADER if leader else FOLLOWER
        self.leader = None
        self.commit = 0
        self.applied = 0
        self.state = QueueState(self.queue)
        self.next_index: dict[str, int] = {}
        self.match: dict[str, int] = {}
        self.votes: set[str] = set()
        self.waiters: dict[int, tuple] = {}      # log index -> publish ref to answer
        self.inherited = 0       # a new leader: entries up to here may have been delivered
        self.last_heard = 0
        self.timeout = 0

    @property
    def majority(self) -> int:
        return len(self.members) // 2 + 1

    @property
    def last_term(self) -> int:
        return self.log[-1][0] if self.log else 0


class QuorumRules:
    """The quorum-queue part of a broker node (mixed into :class:`BrokerNode`)."""

    def create_quorum(self, spec) -> None:
        member = Member(spec.name, spec.members, initial_leader=spec.home == self.name)
        self.raft[spec.name] = member
        member.leader = spec.home
        self._arm(member)
        if member.role == LEADER:
            self.become_leader(member)

    def _arm(self, m: Member) -> None:
        base = self.options["election_timeout_ms"]
        m.last_heard = self.now
        m.timeout = base + self.rng(f"election.{m.queue}").randint(0, base)

    def quorum_crash(self) -> None:
        for m in self.raft.values():
            m.reset()

    def quorum_restart(self) -> None:
        for name in sorted(self.raft):
            self._arm(self.raft[name])

    def leader_hint(self, queue: str) -> str:
        m = self.raft.get(queue)
        if m is not None:
            # no known leader: answer here (a definite refusal) rather than guess
            return m.leader if m.leader is not None else self.name
        return self.defs.queues[queue].home

    def quorum_serving(self, queue) -> QueueState | None:
        m = self.raft.get(queue)
        return m.state if m is not None and m.role == LEADER else None

    # -- the leader's operations ---------------------------------------------------------
    def quorum_accept(self, spec, env, ref, hops: int) -> None:
        m = self.raft.get(spec.name)
        if m is None or m.role != LEADER:
            leader = m.leader if m is not None else spec.home
            if leader is not None and leader != self.name and hops < 2:
                self.enqueue_to_node(leader, spec.name, env, ref, hops + 1)
                return
            self.reply(ref, spec.name, False,
                       f"quorum queue {spec.name!r} has no leader reachable from {self.name}: "
                       f"it needs {len(spec.members) // 2 + 1} of {len(spec.members)} "
                       f"replicas (definite: not enqueued)")
            return
        index = self.append(m, ("enqueue", env))
        if ref is not None:
            m.waiters[index] = ref

    def enqueue_to_node(self, node, queue, env, ref, hops) -> None:
        self.send(node, Enqueue(ref, queue, env, hops))

    def append(self, m: Member, entry: tuple) -> int:
        m.log.append((m.term, entry))
        self.replicate(m)
        self.advance_commit(m)
        return len(m.log)

    def quorum_settled(self, queue: str, seq: int) -> None:
        self.append(self.raft[queue], ("settle", seq))

    def quorum_ack(self, queue: str, consumer, dtag: int) -> None:
        seq = consumer.unacked.pop(dtag, None)   # stays checked out until the settle commits
        if seq is not None:
            self.append(self.raft[queue], ("settle", seq))

    def quorum_nack(self, queue: str, consumer, dtag: int, requeue: bool) -> None:
        seq = consumer.unacked.pop(dtag, None)
        if seq is not None:
            self.append(self.raft[queue], ("return" if requeue else "reject", seq))

    def quorum_returned(self, queue: str, seqs) -> None:
        m = self.raft[queue]
        for seq in seqs:
            self.append(m, ("return", seq))

    # -- replication ---------------------------------------------------------------------
    def replicate(self, m: Member) -> None:
        for peer in m.members:
            if peer == self.name:
                continue
            nxt = m.next_index.get(peer, len(m.log) + 1)
            prev = nxt - 1
            self.send(peer, AppendEntries(m.queue, m.term, prev,
                                          m.log[prev - 1][0] if prev > 0 else 0,
                                          tuple(m.log[prev:]), m.commit))

    def handle_append_entries(self, msg, src: str) -> None:
        m = self.raft.get(msg.queue)
        if m is None:
            return
        if msg.term < m.term:
            self.send(src, AppendReply(m.queue, m.term, False, 0))
            return
        self.follow(m, msg.term, src)
        if msg.prev_index > len(m.log) or (
                msg.prev_index > 0 and m.log[msg.prev_index - 1][0] != msg.prev_term):
            self.send(src, AppendReply(m.queue, m.term, False, min(len(m.log),
                                                                  msg.prev_index - 1)))
            return
        index = msg.prev_index
        for entry in msg.entries:
            index += 1
            if index <= len(m.log) and m.log[index - 1][0] != entry[0]:
                del m.log[index - 1:]            # a conflicting suffix from an old term
            if index > len(m.log):
                m.log.append(entry)
        if msg.commit > m.commit:
            m.commit = min(msg.commit, len(m.log))
            self.apply(m)
        self.send(src, AppendReply(m.queue, m.term, True, msg.prev_index + len(msg.entries)))

    def handle_append_reply(self, msg, src: str) -> None:
        m = self.raft.get(msg.queue)
        if m is None or self.step_down_if_stale(m, msg.term) or m.role != LEADER:
            return
        if msg.ok:
            m.match[src] = max(m.match.get(src, 0), msg.match)
            m.next_index[src] = m.match[src] + 1
            self.advance_commit(m)
        else:
            m.next_index[src] = max(1, min(m.next_index.get(src, 1) - 1, msg.match + 1))

    def advance_commit(self, m: Member) -> None:
        for n in range(len(m.log), m.commit, -1):
            if m.log[n - 1][0] != m.term:
                break
            if 1 + sum(1 for p, i in m.match.items() if i >= n) >= m.majority:
                m.commit = n
                self.apply(m)
                self.dispatch(m.queue)
                break

    def apply(self, m: Member) -> None:
        """Apply committed entries in order to the replica's queue state."""
        own = m.role == LEADER
        state = m.state
        while m.applied < m.commit:
            m.applied += 1
            term, entry = m.log[m.applied - 1]
            mine = own and term == m.term        # the leader that appended it acts on it
            kind = entry[0]
            if kind == "enqueue":
                qm = QMsg(m.applied, entry[1])
                qm.redelivered = m.applied <= m.inherited
                state.add(qm)
                ref = m.waiters.pop(m.applied, None)
                if ref is not None:
                    self.reply(ref, m.queue, True, None)
            elif kind == "settle":
                state.remove(entry[1])
            elif kind in ("return", "reject"):
                self.apply_return(m, entry[1], kind == "reject", mine)

    def apply_return(self, m: Member, seq: int, reject: bool, mine: bool) -> None:
        qm = m.state.messages.get(seq)
        if qm is None:
            return
        spec = self.defs.queues.get(m.queue)
        qm.deliveries += 1
        over = spec is not None and qm.deliveries > spec.delivery_limit
        if reject or over:
            m.state.remove(seq)
            if mine and spec is not None:
                self.dead_letter(spec, qm, "rejected" if reject else "delivery_limit")
        else:
            m.state.requeue(seq)

    # -- terms and elections ----------------------------------------------------------------
    def follow(self, m: Member, term: int, leader: str) -> None:
        if term > m.term:
            m.voted_for = None
        if m.role == LEADER:
            self.lose_consumers(m, "leader stepped down")
        m.term, m.role, m.leader = term, FOLLOWER, leader
        self._arm(m)

    def step_down_if_stale(self, m: Member, term: int) -> bool:
        if term > m.term:
            if m.role == LEADER:
                self.lose_consumers(m, "leader stepped down")
            m.term, m.role, m.voted_for, m.leader = term, FOLLOWER, None, None
            self._arm(m)
            return True
        return False

    def lose_consumers(self, m: Member, reason: str) -> None:
        for tag, consumer in sorted(m.state.consumers.items()):
            self.owner.pop(tag, None)
            self.send(consumer.client, ChannelClosed(tag, reason))
        m.state.consumers.clear()
        m.state.checked_out.clear()
        m.waiters.clear()                          # unanswered: their publishers time out
        self.trace("role", f"{m.queue}: follower term={m.term} ({reason})", queue=m.queue,
                   role=FOLLOWER, term=m.term)

    def quorum_tick(self) -> None:
        for name in sorted(self.raft):
            m = self.raft[name]
            if m.role == LEADER:
                self.replicate(m)
            elif self.now - m.last_heard > m.timeout:
                self.start_election(m)

    def start_election(self, m: Member) -> None:
        m.term += 1
        m.role, m.voted_for, m.votes, m.leader = CANDIDATE, self.name, {self.name}, None
        self._arm(m)
        self.trace("election", f"{m.queue}: candidate term={m.term}", queue=m.queue,
                   term=m.term, action="start")
        for peer in m.members:
            if peer != self.name:
                self.send(peer, RequestVote(m.queue, m.term, len(m.log), m.last_term))

    def handle_request_vote(self, msg, src: str) -> None:
        m = self.raft.get(msg.queue)
        if m is None:
            return
        self.step_down_if_stale(m, msg.term)
        up_to_date = (msg.last_term, msg.last_index) >= (m.last_term, len(m.log))
        granted = (msg.term == m.term and m.voted_for in (None, src) and up_to_date
                   and m.role != LEADER)
        if granted:
            m.voted_for = src
            self._arm(m)
        self.send(src, VoteReply(m.queue, m.term, granted))

    def handle_vote_reply(self, msg, src: str) -> None:
        m = self.raft.get(msg.queue)
        if m is None or self.step_down_if_stale(m, msg.term):
            return
        if m.role == CANDIDATE and msg.term == m.term and msg.granted:
            m.votes.add(src)
            if len(m.votes) >= m.majority:
                self.become_leader(m)

    def become_leader(self, m: Member) -> None:
        m.role, m.leader = LEADER, self.name
        m.next_index = {p: len(m.log) + 1 for p in m.members if p != self.name}
        m.match = {p: 0 for p in m.members if p != self.name}
        m.state.checked_out.clear()
        if m.term > 1:
            # The old leader may have delivered what we inherit, and we cannot tell which
            # (Ra's log records checkouts; ours does not): flag it all redelivered, which in
            # AMQP means "may have been delivered before".
            m.inherited = len(m.log)
            for qm in m.state.messages.values():
                qm.redelivered = True
        self.trace("role", f"{m.queue}: leader term={m.term}", queue=m.queue, role=LEADER,
                   term=m.term)
        if m.log:
            self.append(m, ("noop",))   # commits the entries of earlier terms (Raft 5.4.2)
