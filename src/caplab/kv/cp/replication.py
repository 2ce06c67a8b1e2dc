"""Oplog replication, the majority commit point, and rollback.

MongoDB secondaries *pull* the oplog from a sync source; here the primary *pushes* it
(:class:`Replicate`, Raft's AppendEntries shape). Most of what a lab observes is the same:
entries are applied in optime order, each member reports how far it got (MongoDB's
``replSetUpdatePosition``), and the primary advances the majority commit point. One difference:
MongoDB's chained replication lets a secondary that cannot reach the primary sync from another
secondary; here that is ``chaining_allowed=True``, the default as in MongoDB
(:mod:`caplab.kv.cp.chaining`); with ``chaining_allowed=False`` it stays behind until it reaches
the primary again.

Rollback (MongoDB "Rollbacks During Replica Set Failover"): a member whose oplog diverges from
the primary's finds the common point, removes the entries after it, restores its data to the
state at the common point, and then catches up. The removed writes go to a rollback record
(MongoDB writes them to rollback files), here :meth:`ReplicaSet.rollbacks`. Entries at or before
the majority commit point are never rolled back.
"""

from __future__ import annotations

from .messages import Replicate, ReplicateAck
from .voting import mongodb_vote_rule

__all__ = ["ReplicationRules", "BATCH"]

#: at most this many entries in one Replicate message (a getMore batch)
BATCH = 256


class ReplicationRules:
    """Mixin of :class:`~caplab.kv.cp.node.ReplicaNode`: the primary's and members' oplog rules."""

    # -- the primary -----------------------------------------------------------------------
    def send_replicate(self, peer: str) -> None:
        """Send ``peer`` the entries after the last one it is known to hold (maybe none)."""
        oplog = self.oplog
        prev_index = self.next_index[peer] - 1
        entries = oplog.since(prev_index, BATCH)
        if entries:
            self.sent_upto[peer] = max(self.sent_upto.get(peer, 0), entries[-1].index)
        self.send(peer, Replicate(self.term, (oplog.term_at(prev_index), prev_index), entries,
                                  oplog.commit_index, oplog.last_optime))

    def replicate_all(self) -> None:
        for peer in self.data_peers:     # arbiters hold no data
            self.send_replicate(peer)

    def handle_replicate_ack(self, msg: ReplicateAck, src: str) -> None:
        self.detector.heard(src, self.now)
        if self.observe_term(msg.term, src):
            return
        if self.role != "primary" or msg.term != self.term:
            return
        if self.catch_up is not None:
            self.note_member_optime(src, msg.last_optime)
        if msg.ok:
            if msg.match_index > self.match_index[src]:
                self.match_index[src] = msg.match_index
                self.next_index[src] = max(self.next_index[src], msg.match_index + 1)
                self.advance_commit()
                self.check_waiters()
            if self.sent_upto.get(src, 0) < self.oplog.last_index \
                    and self.match_index[src] >= self.sent_upto.get(src, 0):
                self.send_replicate(src)     # the rest did not fit in one batch
            return
        self.back_up_next_index(src, msg)
        self.send_replicate(src)

    def back_up_next_index(self, src: str, msg: ReplicateAck) -> None:
        """The member's oplog diverges before ``next_index``: jump back past the conflicting
        term (one round trip per divergent term, not per entry)."""
        nxt = msg.conflict_index
        if msg.conflict_term:
            last_of_term = self.oplog.last_index_of_term(msg.conflict_term)
            if last_of_term:
                nxt = last_of_term + 1
        floor = self.match_index[src] + 1
        nxt = max(floor, min(nxt, self.next_index[src] - 1))
        self.next_index[src] = nxt
        self.sent_upto[src] = nxt - 1

    def advance_commit(self) -> None:
        """MongoDB: the majority commit point is the newest optime that the calculated majority
        of the data-bearing voting members has written (arbiters and members with votes=0 do
        not count); only an entry of the primary's own term is committed by counting."""
        if self.role != "primary":
            return
        oplog = self.oplog
        indices = sorted([oplog.last_index] + [self.match_index[p] for p in self.data_voters
                                               if p != self.name], reverse=True)
        candidate = indices[self.write_majority - 1]
        if candidate > oplog.commit_index and oplog.term_at(candidate) == self.term:
            oplog.commit_index = candidate

    # -- a member --------------------------------------------------------------------------
    def handle_replicate(self, msg: Replicate, src: str) -> None:
        if self.arbiter:
            return  # an arbiter holds no oplog (never sent one)
        if msg.term < self.term:
            # A deposed primary still pushing: tell it the newer term so it steps down.
            self.send(src, ReplicateAck(self.term, False, 0, 0, 0,
                                        self.oplog.last_optime))
            return
        self.observe_term(msg.term, src)
        if self.role == "candidate":
            self.step_down(f"{src} is primary in term {msg.term}")
        if self.role == "primary":
            return  # cannot happen: one primary per term
        now = self.now
        self.primary_name = src
        self.primary_term = msg.term
        self.last_oplog_ms = now        # the primary's oplog reaches us (chaining.py)
        self.detector.heard(src, now)
        if not self.heartbeat_liveness:
            # liveness="oplog": the push doubles as the primary's heartbeat
            self.last_primary_contact_ms = now
            self.reset_election_deadline()
        oplog = self.oplog
        prev_term, prev_index = msg.prev_optime
        if prev_index > oplog.last_index:
            self.send(src, ReplicateAck(self.term, False, 0, 0, oplog.last_index + 1,
                                        oplog.last_optime))
            return
        if oplog.term_at(prev_index) != prev_term:
            conflict_term = oplog.term_at(prev_index)
            self.send(src, ReplicateAck(self.term, False, 0, conflict_term,
                                        oplog.first_index_of_term(conflict_term, prev_index),
                                        oplog.last_optime))
            return
        applied = self.ripe(msg.entries)
        for entry in applied:
            index = entry.index
            if index <= oplog.last_index:
                if oplog.term_at(index) == entry.term:
                    continue                       # already have it (a resend)
                self.roll_back_to(index - 1, src)  # divergence: common point is index - 1
            oplog.append(entry)
        match = prev_index + len(applied)
        commit = min(msg.commit_index, match)
        if commit > oplog.commit_index:
            oplog.commit_index = commit
        self.caught_up = oplog.last_optime >= tuple(msg.primary_last_optime)
        self.send(src, ReplicateAck(self.term, True, match, 0, 0, oplog.last_optime))

    def ripe(self, entries) -> tuple:
        """The entries this member applies now: all of them, or for a delayed member those the
        primary wrote at least ``delay_ms`` ago (MongoDB ``secondaryDelaySecs``: the delay
        applies to replication and to the member's oplog; the rest come again with the
        primary's next heartbeat)."""
        if not self.delay_ms:
            return entries
        cutoff = self.now - self.delay_ms
        ripe = 0
        while ripe < len(entries) and entries[ripe].wall_ms <= cutoff:
            ripe += 1
        return entries[:ripe]

    def roll_back_to(self, common_index: int, source: str) -> None:
        """Remove the entries after the common point and restore the data to it.

        MongoDB: writes that never reached a majority are rolled back when their member
        rejoins; majority-committed writes never are (asserted here). Only a non-standard
        ``vote_rule`` (a lab's wrong rule) can elect a primary lacking committed entries: then
        the loss is traced as a ``safety`` event instead of stopping the simulation.
        """
        oplog = self.oplog
        if common_index < oplog.commit_index:
            assert self.rs.vote_rule is not mongodb_vote_rule, (
                f"{self.name} would roll back committed entries ({common_index} < "
                f"{oplog.commit_index})")
            self.trace("safety", f"rolling back majority-committed entries "
                                 f"{common_index + 1}..{oplog.commit_index}: {source} was "
                                 f"elected without them (vote_rule)", source,
                       action="committed_lost", source=source, first_index=common_index + 1,
                       last_index=oplog.commit_index)
            oplog.commit_index = common_index
        removed = oplog.truncate_after(common_index)
        now = self.now
        common = (oplog.term_at(common_index), common_index)
        self.trace("rollback", f"{len(removed)} entries after common point {common} "
                               f"(diverged from {source})",
                   action="truncate", entries=len(removed), common=common, source=source)
        for entry in removed:
            if entry.op != "put":
                continue
            self.rs.record_rollback(self.name, now, entry)
            self.trace("rollback", f"{entry.key}={entry.value!r} optime={entry.optime}",
                       action="rolled_back", key=entry.key, value=entry.value,
                       optime=tuple(entry.optime), term=entry.term)

    # -- the trace -------------------------------------------------------------------------
    def trace_oplog(self, action: str, what) -> None:
        """Record an oplog change as an ``oplog`` trace event (the log's observer): ``append``
        with the entry's ``term, index, op, key, value``, or ``commit`` with the new commit
        point's ``index`` and ``term``. Replaying these (and the ``rollback`` truncations)
        rebuilds every member's oplog at any moment (:mod:`caplab.kv.timeline_state`)."""
        trace = self.network.sim.trace
        if not trace.enabled or "oplog" in trace.kinds_off:
            return      # a benchmark without a trace: do not even format the detail
        # No detail text: these events are many (one per entry per member) and their fields
        # say it all (the panels' event log leaves them out).
        if action == "append":
            self.trace("oplog", None, action="append", term=what.term, index=what.index,
                       op=what.op, key=what.key, value=what.value)
        else:
            self.trace("oplog", None, action="commit", index=what,
                       term=self.oplog.term_at(what))
