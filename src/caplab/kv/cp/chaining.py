"""Chained replication: a secondary that the primary's oplog no longer reaches syncs from
another secondary (MongoDB ``settings.chainingAllowed``, default true).

MongoDB secondaries pull the oplog from a *sync source*, the nearest member by ping that is
ahead of them, which may be another secondary. caplab's primary pushes its oplog
(:mod:`caplab.kv.cp.replication`); chaining adds the pull where it matters: a data-bearing
secondary that has had no oplog push from the primary for two heartbeat intervals picks as sync
source the member with the smallest heartbeat round trip whose newest optime (told in
heartbeats) is ahead of its own and that a live primary feeds (its heartbeat answer says so,
within two heartbeat intervals), preferring members that are not hidden (MongoDB uses hidden
members only as a last resort), and fetches from it, a batch at a time. So a secondary behind a
one-way cut from the primary catches up through another secondary before the cut heals.

When the fetched entries end in the current primary's term, the secondary also reports its
position to the primary (MongoDB forwards ``replSetUpdatePosition`` up the chain), so it counts
for write concerns if its messages still reach the primary.

Chaining is on by default, as in MongoDB; ``chaining_allowed=False`` (MongoDB:
``settings.chainingAllowed: false``) gives the push-only model, where a secondary cut off from
the primary stays behind until the cut heals. One consequence of the default: in a partial
partition (a secondary cut off from the primary only) the two members cut apart stay current
through the third and take turns as primary (flapping), since only an arbiter refuses a dry run
while it sees a healthy primary.

Example:
    >>> from caplab.kv import Cluster
    >>> Cluster(mode="cp", nodes=3, seed=1, chaining_allowed=False).backend.config[
    ...     "chaining_allowed"]
    False
"""

from __future__ import annotations

from .messages import CatchUpRequest, ReplicateAck

__all__ = ["ChainingRules"]


class ChainingRules:
    """Mixin of :class:`~caplab.kv.cp.node.ReplicaNode`: sync-source selection and fetching."""

    def reset_chaining(self) -> None:
        """Volatile state: peers' optimes and pings from heartbeats, and the sync source."""
        self.last_oplog_ms: int | None = None   # last oplog push from the primary
        self.peer_optimes: dict[str, tuple] = {}
        self.ping_ms: dict[str, int] = {}
        self.heartbeat_sent_ms: dict[str, int] = {}
        self.peer_fed_ms: dict[str, tuple] = {}  # peer -> (when, primary) it said feeds it
        self.sync_source: str | None = None

    def note_heartbeat(self, src: str, optime, reply: bool, fed_by: str | None = None) -> None:
        """A peer told us its newest optime; an answer to our heartbeat also gives a ping and
        whether a live primary feeds the peer (then it may be our sync source)."""
        self.peer_optimes[src] = tuple(optime)
        sent = self.heartbeat_sent_ms.get(src)
        if reply and sent is not None:
            self.ping_ms[src] = self.now - sent
        if reply:
            if fed_by is not None:
                self.peer_fed_ms[src] = (self.now, fed_by)
            else:
                self.peer_fed_ms.pop(src, None)

    def fed(self) -> bool:
        """Whether the primary's oplog reached us within two heartbeat intervals."""
        return self.last_oplog_ms is not None \
            and self.now - self.last_oplog_ms <= 2 * self.heartbeat_ms

    def fed_by(self) -> str | None:
        """What our heartbeat answers say of the primary: ourselves if we are it, the primary
        that feeds us its oplog now, else None (so a member syncs only from a chain that leads
        to a live primary, not from a fresher secondary after the primary died)."""
        if self.role == "primary":
            return self.name
        return self.primary_name if self.fed() else None

    def maybe_chain_sync(self) -> None:
        """Each heartbeat of a secondary: if the primary's oplog has stopped reaching us, fetch
        from the nearest member that is ahead (MongoDB's sync source selection)."""
        if (self.role != "secondary" or not self.rs.config["chaining_allowed"]
                or self.catch_up is not None):
            return
        if self.fed():
            self.sync_source = None
            return
        source = self.choose_sync_source()
        if source != self.sync_source:
            self.sync_source = source
            if source is not None:
                self.trace("replication", f"chained: syncing from {source} (the primary's oplog "
                                          f"has not reached me)", source,
                           action="sync_source", source=source)
        if source is not None:
            self.send(source, CatchUpRequest(self.term, self.oplog.last_optime))

    def choose_sync_source(self) -> str | None:
        """The data-bearing member, fed by a live primary, that is ahead of us with the
        smallest heartbeat round trip; non-hidden first, ties in member order."""
        mine, now = self.oplog.last_optime, self.now
        members = self.rs.config["members"]
        best = None
        for peer in self.data_peers:
            fed = self.peer_fed_ms.get(peer)
            if peer == self.primary_name or fed is None \
                    or now - fed[0] > 2 * self.heartbeat_ms \
                    or self.peer_optimes.get(peer, (0, 0)) <= mine:
                continue
            rank = (members[peer]["hidden"], self.ping_ms.get(peer, float("inf")))
            if best is None or rank < best[0]:
                best = (rank, peer)
        return best[1] if best else None

    def handle_chained_batch(self, msg, src: str) -> None:
        """Entries fetched from our sync source (a :class:`CatchUpBatch` answer)."""
        oplog = self.oplog
        if src != self.sync_source or tuple(msg.prev_optime) != oplog.last_optime:
            return      # stale: an earlier request, or another source since
        if msg.diverged:
            self.sync_source = None   # it lacks our newest entry: not a sync source for us
            return
        self.peer_optimes[src] = tuple(msg.last_optime)
        applied = self.ripe(msg.entries)
        for entry in applied:
            oplog.append(entry)
        primary = self.peer_fed_ms.get(src, (0, None))[1]
        if applied and applied[-1].term == self.term and primary not in (None, self.name):
            # Our oplog now matches the primary's up to our last entry (an entry of its term
            # comes from it): report the position to the primary that feeds our source
            # (MongoDB forwards replSetUpdatePosition up the chain; here it goes straight to
            # the primary, and a primary of another term ignores it).
            self.send(primary, ReplicateAck(self.term, True, oplog.last_index, 0, 0,
                                            oplog.last_optime))
        if len(applied) == len(msg.entries) and msg.entries \
                and oplog.last_optime < tuple(msg.last_optime):
            self.send(src, CatchUpRequest(self.term, oplog.last_optime))   # the next batch
