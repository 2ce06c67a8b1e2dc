"""A NATS-like server: subscriptions by subject, fan-out to every matching subscriber, queue
groups, "no responders" for requests nobody listens to, routes to the other servers of a
cluster, and a JetStream-like store beside it (:mod:`caplab.bus.nats.jetstream`).

Core NATS stores nothing: a message goes to the subscriptions that exist at that moment and the
server forgets it (at-most-once). A subscriber that is crashed, cut off, or not yet subscribed
misses it. A client the server has not heard from for two ping intervals is dropped with its
subscriptions (NATS: ``ping_interval`` with ``max_pings_out``).

Sources: NATS documentation, "Core NATS" and "Subject-Based Messaging" (at-most-once, only
currently connected subscribers, wildcards), "Queue Groups" (one member chosen at random per
message), "Request-Reply" (inboxes; with headers support, a request to a subject with no
subscribers gets an immediate 503 "no responders" status), "Clustering" (interest propagated
over routes; a message crosses a route only toward servers with matching interest).
Deviations: one route hop (a full mesh); a server sends its whole interest to its peers every
ping interval as well as on each change, so a healed partition converges.
"""

from __future__ import annotations

from ...net.endpoint import Endpoint
from ..rabbit.fifo import Resequencer
from .jetstream import JetStreamRules
from .messages import Interest, Interests, Msg, NoResponders, Pong, RMsg
from .subjects import subject_matches

__all__ = ["NatsServer"]


class NatsServer(JetStreamRules, Endpoint):
    """One server of a :class:`~caplab.bus.nats.Nats` cluster."""

    def __init__(self, name: str, system) -> None:
        super().__init__(name)
        self.system = system
        self.options = system.options
        self.peers = [n for n in system.server_names if n != name]
        self.js_init()
        self._reset_volatile()

    def _reset_volatile(self) -> None:
        self.subs: dict[str, dict[int, tuple]] = {}      # client -> sid -> (pattern, queue)
        self.remote: dict[str, dict[tuple, tuple]] = {}  # peer -> (client, sid) -> (p, q)
        self.last_seen: dict[str, int] = {}
        self.out_seq: dict[str, int] = {}
        self.inbound = Resequencer(self._in_order, self.set_timer)
        self.js_reset()

    def start(self) -> None:
        self.set_timer(self.options["ping_ms"], self.on_ping_timer, daemon=True)

    def on_crash(self) -> None:
        self._reset_volatile()

    def on_restart(self) -> None:
        self.share_interest()      # an empty interest: peers forget our old clients
        self.start()

    # -- transport ---------------------------------------------------------------------------
    def post(self, dst: str, cls, *args) -> None:
        """Send ``cls(seq, *args)`` to ``dst``, numbered on our connection to it (TCP order)."""
        seq = self.out_seq.get(dst, 0) + 1
        self.out_seq[dst] = seq
        self.send(dst, cls(seq, *args))

    def receive(self, msg, src: str) -> None:
        self.inbound.push((src, getattr(msg, "conn", 0)), msg.seq, (msg, src))

    def _in_order(self, item) -> None:
        msg, src = item
        if src not in self.peers:
            self.last_seen[src] = self.now
        Endpoint.receive(self, msg, src)

    # -- the client protocol -----------------------------------------------------------------
    def handle_sub(self, msg, src: str) -> None:
        self.subs.setdefault(src, {})[msg.sid] = (msg.pattern, msg.queue)
        for peer in self.peers:
            self.post(peer, Interest, src, msg.sid, msg.pattern, msg.queue, True)

    def handle_unsub(self, msg, src: str) -> None:
        row = self.subs.get(src, {}).pop(msg.sid, None)
        if row is not None:
            for peer in self.peers:
                self.post(peer, Interest, src, msg.sid, row[0], row[1], False)

    def handle_ping(self, msg, src: str) -> None:
        self.post(src, Pong)

    def handle_pub(self, msg, src: str) -> None:
        self.route(msg.subject, msg.reply, msg.data, msg.msg_id, src)

    def route(self, subject: str, reply, data, msg_id: str, origin: str):
        """Deliver to every matching subscription (one member per queue group); returns the
        JetStream capture ``(stream, seq)`` or None."""
        local, remote, groups = [], {}, {}
        for client in sorted(self.subs):
            for sid, (pattern, queue) in sorted(self.subs[client].items()):
                if subject_matches(pattern, subject):
                    if queue is None:
                        local.append((client, sid))
                    else:
                        groups.setdefault(queue, []).append((self.name, client, sid))
        for peer in sorted(self.remote):
            for (client, sid), (pattern, queue) in sorted(self.remote[peer].items()):
                if subject_matches(pattern, subject):
                    if queue is None:
                        remote.setdefault(peer, []).append((client, sid))
                    else:
                        groups.setdefault(queue, []).append((peer, client, sid))
        rng = self.rng("queue")
        for queue in sorted(groups):
            members = groups[queue]
            where, client, sid = members[rng.randrange(len(members))]  # NATS: random member
            if where == self.name:
                local.append((client, sid))
            else:
                remote.setdefault(where, []).append((client, sid))
        captured = self.js_capture(subject, data, msg_id)
        holder = self.system.stream_holder(subject)
        if not local and not remote and reply is not None and holder is None:
            self.post(origin, NoResponders, reply, subject)
        if holder is not None and holder != self.name:
            remote.setdefault(holder, [])     # the stream's server stores it
        for client, sid in local:
            self.post(client, Msg, sid, subject, reply, data, msg_id)
        for peer in sorted(remote):
            self.post(peer, RMsg, tuple(remote[peer]), subject, reply, data, msg_id,
                      peer == holder)
        if self.system.tracing:
            self.trace("publish", f"{msg_id} on {subject}: {len(local)} local, "
                                  f"{sum(len(t) for t in remote.values())} routed",
                       peer=origin, id=msg_id, subject=subject, local=len(local),
                       routed=sum(len(t) for t in remote.values()))
        return captured

    # -- routes between servers ------------------------------------------------------------
    def handle_r_msg(self, msg, src: str) -> None:
        if msg.capture:
            self.js_capture(msg.subject, msg.data, msg.msg_id)
        for client, sid in msg.targets:
            if sid in self.subs.get(client, {}):
                self.post(client, Msg, sid, msg.subject, msg.reply, msg.data, msg.msg_id)

    def handle_interest(self, msg, src: str) -> None:
        rows = self.remote.setdefault(src, {})
        if msg.add:
            rows[(msg.client, msg.sid)] = (msg.pattern, msg.queue)
        else:
            rows.pop((msg.client, msg.sid), None)

    def handle_interests(self, msg, src: str) -> None:
        self.remote[src] = {(c, sid): (p, q) for c, sid, p, q in msg.rows}

    def share_interest(self) -> None:
        rows = tuple((c, sid, p, q) for c in sorted(self.subs)
                     for sid, (p, q) in sorted(self.subs[c].items()))
        for peer in self.peers:
            self.post(peer, Interests, rows)

    def on_ping_timer(self) -> None:
        limit = 2 * self.options["ping_ms"]
        for client in sorted(self.last_seen):
            if self.now - self.last_seen[client] > limit:
                self.drop_client(client)
        self.share_interest()
        self.set_timer(self.options["ping_ms"], self.on_ping_timer, daemon=True)

    def drop_client(self, client: str) -> None:
        """A stale connection: forget the client, its subscriptions and consumer bindings."""
        del self.last_seen[client]
        subs = self.subs.pop(client, {})
        self.js_unbind(client)
        self.trace("disconnect", f"{client}: stale connection, {len(subs)} subscriptions "
                                 f"dropped", peer=client, subscriptions=len(subs))
        for sid, (pattern, queue) in sorted(subs.items()):
            for peer in self.peers:
                self.post(peer, Interest, client, sid, pattern, queue, False)
