"""The primary's journal: a ``w: 1`` write is acknowledged from memory, before it is journaled.

MongoDB (WiredTiger) writes the journal to disk in group commits every
``storage.journal.commitIntervalMs`` (default 100 ms; here ``journal_commit_ms``, 10 ms
at lab scale). A write with ``{w: 1}`` and no ``j`` is acknowledged once the primary applied it
in memory; if the primary crashes before the next journal commit, the write is gone from it.
``j: true`` asks for the acknowledgement only after the write is in the on-disk journal, and
``w: "majority"`` implies it (``writeConcernMajorityJournalDefault``, default true): such a
write forces a journal commit, which also makes every earlier entry durable (the journal is
sequential).

Simplifications: journal commits happen at multiples of the interval on the simulation clock;
a forced commit is instantaneous; secondaries journal what they apply at once (so their
acknowledgements are durable, as MongoDB's majority acknowledgement is).
"""

from __future__ import annotations

__all__ = ["JournalRules"]


class JournalRules:
    """Mixin of :class:`~caplab.kv.cp.node.ReplicaNode`: which of its entries a crash loses."""

    def note_appended(self, entry, *, durable: bool) -> None:
        """A client write was appended on the primary; ``durable`` (j or majority): journal it
        and everything before it now."""
        if durable:
            self.unjournaled.clear()
            return
        now, interval = self.now, self.rs.config["journal_commit_ms"]
        self.unjournaled = [(i, t, at) for i, t, at in self.unjournaled
                            if (at // interval + 1) * interval > now]
        self.unjournaled.append((entry.index, entry.term, now))

    def lose_unjournaled(self) -> None:
        """On a crash: entries not yet in the journal are lost, with every later entry."""
        now, interval = self.now, self.rs.config["journal_commit_ms"]
        oplog = self.oplog
        lost_from = None
        for index, term, at in self.unjournaled:
            if (at // interval + 1) * interval > now and index <= oplog.last_index \
                    and oplog.term_at(index) == term:
                lost_from = index
                break
        self.unjournaled = []
        if lost_from is None:
            return
        removed = oplog.truncate_after(lost_from - 1)
        oplog.commit_index = min(oplog.commit_index, oplog.last_index)
        self.trace("journal", f"crash before the journal commit: {len(removed)} entries from "
                              f"index {lost_from} were only in memory and are lost",
                   action="lost", first_index=lost_from, entries=len(removed),
                   keys=tuple(e.key for e in removed if e.op == "put"))
