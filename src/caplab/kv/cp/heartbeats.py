"""Heartbeats between members, and what they tell (the ``liveness`` option).

Every member sends a heartbeat to every other member every ``heartbeat_ms`` and answers the
ones it gets. With ``liveness="heartbeat"`` (MongoDB, the default) the primary does too, and a
member restarts its election timeout when the primary answers its heartbeat
(``_handleHeartbeatResponse``), so a one-way cut in either direction between it and the
primary costs one election timeout. With ``liveness="oplog"`` (caplab's first model) the
primary's oplog push is its heartbeat (arbiters, which get no oplog, get a plain heartbeat),
and a one-way cut into the primary costs two election timeouts: the primary steps down after
one, the secondaries, still fed, wait for another.

Example:
    >>> from caplab.kv import Cluster
    >>> Cluster(mode="cp", nodes=3, seed=1).backend.config["liveness"]
    'heartbeat'
"""

from __future__ import annotations

from .messages import Heartbeat, HeartbeatReply

__all__ = ["HeartbeatRules"]


class HeartbeatRules:
    """Mixin of :class:`~caplab.kv.cp.node.ReplicaNode`: sending and answering heartbeats."""

    def send_heartbeats(self, peers=None) -> None:
        beat = Heartbeat(self.term, self.role, self.last_optime)
        for peer in self.peers if peers is None else peers:
            self.heartbeat_sent_ms[peer] = self.now
            self.send(peer, beat)

    def handle_heartbeat(self, msg: Heartbeat, src: str) -> None:
        self.observe_term(msg.term, src)
        self.detector.heard(src, self.now)
        self.note_heartbeat(src, msg.last_optime, reply=False)
        if msg.role == "primary" and msg.term == self.term and self.role == "arbiter" \
                and not self.heartbeat_liveness:
            self.heard_from_primary(src, msg.term)   # "oplog": arbiters get no oplog push
        self.send(src, HeartbeatReply(self.term, self.role, self.last_optime, self.fed_by()))

    def handle_heartbeat_reply(self, msg: HeartbeatReply, src: str) -> None:
        """MongoDB (``liveness="heartbeat"``): a member resets its election timer when the
        *primary answers its heartbeat* (``_handleHeartbeatResponse``); a one-way cut in either
        direction between it and the primary then costs one election timeout."""
        self.observe_term(msg.term, src)
        self.detector.heard(src, self.now)
        self.note_heartbeat(src, msg.last_optime, reply=True, fed_by=msg.primary)
        if msg.role == "primary" and msg.term == self.term and self.heartbeat_liveness \
                and self.role in ("secondary", "arbiter"):
            self.heard_from_primary(src, msg.term)

    def heard_from_primary(self, src: str, term: int) -> None:
        """The primary of our term is alive: note it and restart the election timeout."""
        self.primary_name, self.primary_term = src, term
        self.last_primary_contact_ms = self.now
        self.reset_election_deadline()
