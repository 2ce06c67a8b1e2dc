"""The source's rules: commit, ship the binlog, semi-synchronous waits and their fallback.

* Asynchronous (MySQL's default): the source writes the event to its binary log, commits and
  answers the client; replicas get the event afterwards ("there is no guarantee that any event
  ever reaches any replica", MySQL 8.4 Reference Manual, 19.4.10 Semisynchronous Replication).
* Semi-synchronous: the commit waits until ``wait_for_replica_count`` replicas acknowledged
  receipt (written to their relay log, not applied yet):
  ``rpl_semi_sync_source_wait_for_replica_count``.
  MySQL's default wait point ``AFTER_SYNC`` waits after the binlog write and before the storage
  engine commit, so no session sees the transaction before it is acknowledged; modelled here.
* Fallback: if no acknowledgement comes within ``semi_sync_timeout_ms``
  (``rpl_semi_sync_source_timeout``), the source reverts to asynchronous replication, commits
  the waiting transactions and answers their clients with success; it switches back when enough
  replicas have caught up (MySQL 8.4 Reference Manual, 19.4.10.2 Configuring Semisynchronous
  Replication and 19.4.10.3 Semisynchronous Replication Monitoring:
  ``Rpl_semi_sync_source_status``). Both switches are ``semi_sync`` trace events whose data
  fields are those of :class:`~caplab.kv.ca.messages.SemiSyncSwitch`.
"""

from __future__ import annotations

from .binlog import Event, gtid_text
from .messages import BinlogAck, BinlogEvents, SemiSyncSwitch, WriteReply, WriteRequest

__all__ = ["SourceRules", "BATCH"]

#: at most this many events in one message
BATCH = 256


class Waiter:
    """A client's write waiting on the source for its replica acknowledgements."""

    __slots__ = ("client", "op_id", "attempt", "event", "since_ms", "timer")

    def __init__(self, client, op_id, attempt, event, since_ms) -> None:
        self.client, self.op_id, self.attempt = client, op_id, attempt
        self.event, self.since_ms, self.timer = event, since_ms, None


class SourceRules:
    """Mixin of :class:`~caplab.kv.ca.node.MySQLNode`: what the source does."""

    # -- writes ----------------------------------------------------------------------------
    def handle_write_request(self, msg: WriteRequest, src: str) -> None:
        """MySQL: a replica runs with ``super_read_only``; only the source accepts writes."""
        if self.role != "primary":
            known = self.source_name or "unknown"
            self.send(src, WriteReply(msg.op_id, msg.attempt, "read_only",
                                      f"ERROR 1290: {self.name} is a replica running with "
                                      f"--super-read-only (its source is {known}) (definite: "
                                      f"not applied)", None))
            return
        self.next_seq += 1
        event = Event(self.binlog.last_index + 1, (self.name, self.next_seq), msg.key,
                      msg.value, self.now)
        self.binlog.append(event)
        self.ship_all()
        if not self.semi_sync_active:
            self.commit_to(event.index)
            self.send(src, WriteReply(msg.op_id, msg.attempt, "ok", None, event.gtid))
            return
        waiter = Waiter(src, msg.op_id, msg.attempt, event, self.now)
        timeout = self.options["semi_sync_timeout_ms"]
        if timeout is not None:
            waiter.timer = self.set_timer(timeout, self.on_semi_sync_timeout, waiter)
        self.waiters.append(waiter)
        self.advance_commit()

    def commit_to(self, index: int) -> None:
        """Commit (make visible) the events up to ``index`` and answer the writes waiting."""
        for event in self.binlog.apply_upto(index):
            self.topology.record_commit(self.name, event, acked=True)
        done = [w for w in self.waiters if w.event.index <= self.binlog.applied_index]
        if not done:
            return
        self.waiters = [w for w in self.waiters if w.event.index > self.binlog.applied_index]
        for w in done:
            if w.timer is not None:
                w.timer.cancel()
            self.send(w.client, WriteReply(w.op_id, w.attempt, "ok", None, w.event.gtid))

    def acked_count(self, index: int) -> int:
        return sum(1 for p in self.peers if self.acked.get(p, 0) >= index)

    def advance_commit(self) -> None:
        """Semi-sync: commit the longest prefix that ``wait_for_replica_count`` replicas hold."""
        if self.role != "primary":
            return
        if not self.semi_sync_active:
            self.commit_to(self.binlog.last_index)
            return
        need = self.options["wait_for_replica_count"]
        held = sorted((self.acked.get(p, 0) for p in self.peers), reverse=True)
        if len(held) >= need and held[need - 1] > self.binlog.applied_index:
            self.commit_to(held[need - 1])

    def on_semi_sync_timeout(self, waiter: Waiter) -> None:
        """MySQL: no acknowledgement within rpl_semi_sync_source_timeout: the source reverts
        to asynchronous replication and the transaction commits (the client sees success)."""
        if waiter not in self.waiters or not self.semi_sync_active:
            return
        index = waiter.event.index
        self.switch_semi_sync(False, f"no acknowledgement for {gtid_text(waiter.event.gtid)} "
                                     f"within {self.options['semi_sync_timeout_ms']} ms",
                              self.acked_count(index), self.now - waiter.since_ms)
        self.commit_to(self.binlog.last_index)

    def maybe_resume_semi_sync(self) -> None:
        """MySQL: the source switches back to semi-synchronous replication once enough
        replicas have caught up with its binary log."""
        if self.semi_sync_active or not self.options["semi_sync"] or self.role != "primary":
            return
        caught = self.acked_count(self.binlog.last_index)
        if caught >= self.options["wait_for_replica_count"]:
            self.switch_semi_sync(True, f"{caught} replica(s) caught up with index "
                                        f"{self.binlog.last_index}", caught, None)

    def switch_semi_sync(self, on: bool, reason: str, acked: int, waited_ms) -> None:
        self.semi_sync_active = on
        need = self.options["wait_for_replica_count"]
        data = SemiSyncSwitch(on, reason, acked, need, waited_ms)
        detail = (f"semi-sync {'ON' if on else 'OFF: fell back to asynchronous'} ({reason}; "
                  f"{acked}/{need} acknowledgements)")
        self.trace("semi_sync", detail, on=on, reason=reason, acked_replicas=acked, needed=need,
                   waited_ms=waited_ms)
        self.topology.record_semi_sync(self.name, self.now, data)

    # -- shipping the binlog ---------------------------------------------------------------
    def ship(self, peer: str) -> None:
        """Send ``peer`` the events after the last one it is known to hold (maybe none)."""
        prev = self.next_index[peer] - 1
        self.send(peer, BinlogEvents(self.generation, prev, self.binlog.gtid_at(prev),
                                     self.binlog.since(prev, BATCH), self.binlog.last_index))

    def ship_all(self) -> None:
        for peer in self.peers:
            self.ship(peer)

    def handle_binlog_ack(self, msg: BinlogAck, src: str) -> None:
        if msg.generation > self.generation:
            # A node follows a newer source (an operator promoted one while we were cut off
            # or down): we are no longer the source.
            self.become_replica(None, msg.generation, f"{src} follows generation "
                                                      f"{msg.generation}")
            return
        if self.role != "primary" or msg.generation != self.generation:
            return
        if not msg.ok:
            nxt = self.next_index[src]
            self.next_index[src] = max(1, min(nxt - 1, msg.last_index + 1))
            self.ship(src)
            return
        if msg.match_index > self.acked.get(src, 0):
            self.acked[src] = msg.match_index
        self.next_index[src] = max(self.next_index[src], msg.match_index + 1)
        self.advance_commit()
        self.maybe_resume_semi_sync()
        if self.next_index[src] <= self.binlog.last_index:
            self.ship(src)      # the rest did not fit in one batch

    def fail_waiters(self, reason: str) -> None:
        """The source stopped being the source: waiting writes may or may not survive."""
        waiters, self.waiters = self.waiters, []
        for w in waiters:
            if w.timer is not None:
                w.timer.cancel()
            self.send(w.client, WriteReply(w.op_id, w.attempt, "stepped_down",
                                           f"{self.name} stopped being the source ({reason}) "
                                           f"while the write waited for replica "
                                           f"acknowledgements: it is in {self.name}'s binlog and "
                                           f"may or may not survive (indefinite)", w.event.gtid))
