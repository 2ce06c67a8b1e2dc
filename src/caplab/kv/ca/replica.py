"""The replica's rules: receive the source's binlog events, acknowledge, apply in order.

MySQL: the receiver (I/O) thread writes the events to the relay log and, with semi-sync,
acknowledges them then; the applier (SQL) thread applies them in order, no earlier than
``SOURCE_DELAY`` seconds after the source committed them (delayed replication). A replica
follows one source; the source's ``generation`` grows with every promotion, so a node that
hears from a newer generation follows it, and one that hears from an older one says so.

Divergence: with GTID auto-positioning a replica sends the set of transactions it holds and the
source streams what is missing (MySQL 8.4 Reference Manual, 19.1.3.3 GTID Auto-Positioning). A
server holding transactions its new source never had (an old source's unreplicated commits:
*errant transactions*) cannot simply resume; MySQL stops replication with an error and an
operator must discard them (re-provision the server, e.g. MySQL Shell's clone-based
``rejoinInstance()``) or inject them as empty transactions. caplab does the first, at once: the
events after the common point are removed, recorded (``errant_transactions()``), and the node
copies the new source's binlog. Nothing is merged.
"""

from __future__ import annotations

from .binlog import gtid_text
from .messages import BinlogAck, BinlogEvents

__all__ = ["ReplicaRules"]


class ReplicaRules:
    """Mixin of :class:`~caplab.kv.ca.node.MySQLNode`: what a replica does."""

    def handle_binlog_events(self, msg: BinlogEvents, src: str) -> None:
        if msg.generation < self.generation:
            # An old source that has not heard of the promotion: tell it.
            self.send(src, BinlogAck(self.generation, False, 0, self.binlog.last_index))
            return
        if msg.generation > self.generation or self.role == "primary":
            if msg.generation == self.generation:
                return      # one source per generation: cannot happen
            self.become_replica(src, msg.generation, f"{src} is the source of generation "
                                                     f"{msg.generation}")
        self.source_name = src
        self.last_source_contact_ms = self.now
        # The source's binlog only grows within a generation: a message reporting a shorter one
        # is an old message overtaken by a newer one (the network may reorder them).
        fresh = msg.source_last_index >= self.source_last_seen
        self.source_last_seen = max(self.source_last_seen, msg.source_last_index)
        binlog = self.binlog
        if msg.prev_index > binlog.last_index or binlog.gtid_at(msg.prev_index) != msg.prev_gtid:
            # A gap, or our event at prev_index differs: the source backs up and resends.
            last = min(binlog.last_index, msg.prev_index - 1)
            self.send(src, BinlogAck(self.generation, False, 0, last))
            return
        for event in msg.events:
            if event.index <= binlog.last_index:
                if binlog.gtid_at(event.index) == event.gtid:
                    continue                        # already in the relay log (a resend)
                self.discard_errant(event.index - 1, src)
            binlog.append(event)
        match = msg.prev_index + len(msg.events)
        if fresh and match == msg.source_last_index and binlog.last_index > match:
            self.discard_errant(match, src)         # we hold events the source never had
        self.send(src, BinlogAck(self.generation, True, match, binlog.last_index))
        self.apply_ready()

    def discard_errant(self, common_index: int, source: str) -> None:
        """Remove the events after the common point with the new source (errant transactions)."""
        removed = self.binlog.truncate_after(common_index)
        if not removed:
            return
        shown = ", ".join(f"{gtid_text(e.gtid)} {e.key}={e.value!r}" for e in removed[:5])
        more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
        self.trace("errant", f"discarded {len(removed)} transaction(s) {source} never had: "
                             f"{shown}{more}", peer=source,
                   count=len(removed), keys=tuple(e.key for e in removed))
        self.topology.record_errant(self.name, self.now, source, removed)

    def apply_ready(self) -> None:
        """Apply the relay log in order, each event no earlier than ``source_delay_ms`` after
        its commit on the source (MySQL's SOURCE_DELAY)."""
        if self.role == "primary":
            return
        binlog = self.binlog
        delay = self.options["source_delay_ms"]
        index = binlog.applied_index
        while index < binlog.last_index and binlog.entries[index].time_ms + delay <= self.now:
            index += 1
        binlog.apply_upto(index)
        if index < binlog.last_index and not self.apply_timer_set:
            due = binlog.entries[index].time_ms + delay
            self.apply_timer_set = True
            self.set_timer(max(1, due - self.now), self.on_apply_timer)

    def on_apply_timer(self) -> None:
        self.apply_timer_set = False
        self.apply_ready()
