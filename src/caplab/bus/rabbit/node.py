"""A RabbitMQ-like broker node: routes what publishers send, hosts classic queues, serves
consumers, confirms publishes, dead-letters, and survives (or not) a crash.

Durable (survives a crash, as RabbitMQ's message store on disk): the persistent messages of the
durable classic queues it hosts, once written (``fsync_ms`` after they arrive), and its quorum
queue replicas' Raft state (:mod:`caplab.bus.rabbit.quorum`). Volatile: everything else, i.e.
transient messages, consumers and their unacknowledged deliveries, publishes not yet confirmed.
On restart, transient queues homed here are deleted and durable ones come back with their
persistent messages only; a message that had been delivered comes back ``redelivered``.

Sources: RabbitMQ documentation, "Consumer Acknowledgements and Publisher Confirms" (confirms
after routing; for persistent messages to durable queues after the disk write; unroutable
messages confirmed at once), "Queues" (durable vs transient), "Dead Letter Exchanges" (reasons
rejected, expired, maxlen, delivery_limit; the expiration property is removed, since 3.1.2:
rabbitmq-server issue 18), "Time-To-Live and Expiration", "Queue Length Limit" (only ready
messages count; drop-head by default; with reject-publish the publisher gets a basic.nack if
any queue refused), "Heartbeats" (a peer is unreachable after two missed heartbeats).
"""

from __future__ import annotations

from dataclasses import replace

from ...net.endpoint import Endpoint
from .messages import (ChannelClosed, Confirm, ConsumeOk, Deliver, Enqueue, EnqueueDone,
                       HeartbeatOk)
from .queue import ConsumerState, QMsg, QueueState
from .fifo import Resequencer
from .quorum import QuorumRules

__all__ = ["BrokerNode"]


class BrokerNode(QuorumRules, Endpoint):
    """One node of a :class:`~caplab.bus.rabbit.Broker` cluster."""

    def __init__(self, name: str, broker) -> None:
        super().__init__(name)
        self.broker = broker
        self.defs = broker.defs
        self.options = broker.options
        # -- durable -------------------------------------------------------------------------
        self.disk: dict[str, dict[int, QMsg]] = {}   # durable classic queue -> persistent msgs
        self.next_seq: dict[str, int] = {}
        self.raft: dict = {}                          # quorum queue -> Member
        self._reset_volatile()

    def _reset_volatile(self) -> None:
        self.queues: dict[str, QueueState] = {}       # classic queues hosted here
        self.pending: dict[int, dict] = {}            # publishes waiting for their queues
        self.next_token = 0
        self.owner: dict[str, str] = {}               # consumer tag -> queue
        # a channel's publishes are handled in the order they were sent (TCP)
        self.inbound = Resequencer(self._routed, self.set_timer)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.set_timer(self.options["heartbeat_ms"], self.on_heartbeat_timer, daemon=True)

    def create_classic(self, name: str, durable: bool) -> None:
        self.queues[name] = QueueState(name)
        self.next_seq.setdefault(name, 1)
        if durable:
            self.disk.setdefault(name, {})

    def on_crash(self) -> None:
        self._reset_volatile()
        self.quorum_crash()

    def on_restart(self) -> None:
        for name, spec in sorted(self.defs.queues.items()):
            if spec.type != "classic" or spec.home != self.name:
                continue
            if not spec.durable:
                # RabbitMQ: transient queues are deleted when their node boots
                self.defs.drop_queue(name)
                self.trace("queue", f"transient queue {name} deleted on restart", queue=name,
                           action="deleted")
                continue
            self._recover_queue(name)
        self.quorum_restart()
        self.start()

    def _recover_queue(self, name: str) -> None:
        state = QueueState(name)
        self.queues[name] = state
        for seq, saved in sorted(self.disk.get(name, {}).items()):
            qm = saved.copy()
            state.add(qm)
            if qm.expires_at is not None:
                self.set_timer(max(0, qm.expires_at - self.now), self.on_expire, name, seq)
        self.trace("queue", f"durable queue {name} recovered {len(state.messages)} persistent "
                            f"messages", queue=name, action="recovered",
                   messages=len(state.messages))

    # -- publishing ------------------------------------------------------------------------
    def handle_publish(self, msg, src: str) -> None:
        self.inbound.push(src, msg.seq, (msg, src))

    def _routed(self, item) -> None:
        msg, src = item
        env = msg.env
        if env.exchange != "" and env.exchange not in self.defs.exchanges:
            self.send(src, Confirm(msg.seq, False, 0, f"NOT_FOUND - no exchange "
                                                      f"{env.exchange!r} (definite: dropped)"))
            return
        queues = self.defs.route(env.exchange, env.routing_key, env.header_dict)
        if self.broker.tracing:
            self.trace("route", f"{env.id} via {env.exchange or '(default)'} key="
                                f"{env.routing_key} -> {','.join(queues) or 'unroutable'}",
                       id=env.id, exchange=env.exchange, routing_key=env.routing_key,
                       queues=tuple(queues))
        if not queues or not msg.confirm:
            if msg.confirm:       # unroutable: confirmed at once (basic.return if mandatory)
                self.send(src, Confirm(msg.seq, True, 0, None))
            for queue in queues:
                self.enqueue_to(queue, env, None)
            return
        token = self.next_token
        self.next_token += 1
        self.pending[token] = {"client": src, "seq": msg.seq, "outstanding": set(queues),
                               "errors": [], "routed": len(queues)}
        for queue in queues:
            self.enqueue_to(queue, env, (self.name, token))

    def enqueue_to(self, queue: str, env, ref, hops: int = 0) -> None:
        """Hand ``env`` to the node that hosts (leads) ``queue``."""
        spec = self.defs.queues.get(queue)
        if spec is None:
            self.reply(ref, queue, False, f"queue {queue!r} no longer exists")
            return
        host = spec.home if spec.type == "classic" else self.leader_hint(queue)
        if host == self.name:
            self.accept(queue, env, ref, hops)
        else:
            self.send(host, Enqueue(ref, queue, env, hops))

    def handle_enqueue(self, msg, src: str) -> None:
        self.accept(msg.queue, msg.env, msg.ref, msg.hops)

    def reply(self, ref, queue: str, ok: bool, error: str | None) -> None:
        if ref is None:
            return
        node, token = ref
        if node == self.name:
            self.enqueue_done(token, queue, ok, error)
        else:
            self.send(node, EnqueueDone(ref, queue, ok, error))

    def handle_enqueue_done(self, msg, src: str) -> None:
        self.enqueue_done(msg.ref[1], msg.queue, msg.ok, msg.error)

    def enqueue_done(self, token: int, queue: str, ok: bool, error: str | None) -> None:
        pending = self.pending.get(token)
        if pending is None:
            return
        if not ok:
            pending["errors"].append(error)
        pending["outstanding"].discard(queue)
        if not pending["outstanding"]:
            del self.pending[token]
            errors = pending["errors"]
            self.send(pending["client"], Confirm(pending["seq"], not errors, pending["routed"],
                                                 "; ".join(errors) if errors else None))

    def accept(self, queue: str, env, ref, hops: int) -> None:
        spec = self.defs.queues.get(queue)
        if spec is not None and spec.type == "quorum":
            self.quorum_accept(spec, env, ref, hops)
            return
        state = self.queues.get(queue)
        if spec is None or state is None:
            self.reply(ref, queue, False, f"queue {queue!r} is not on {self.name}")
            return
        args = spec.args
        max_length = args.get("x-max-length")
        if (max_length is not None and args.get("x-overflow") == "reject-publish"
                and state.ready_count >= max_length):
            self.reply(ref, queue, False, f"queue {queue!r} is full (x-max-length={max_length},"
                                          f" x-overflow=reject-publish): nacked (definite)")
            return
        seq = self.next_seq[queue]
        self.next_seq[queue] = seq + 1
        ttls = [t for t in (args.get("x-message-ttl"), env.expiration_ms) if t is not None]
        qm = QMsg(seq, env, self.now + min(ttls) if ttls else None)
        state.add(qm)
        if ttls:
            self.set_timer(min(ttls), self.on_expire, queue, seq)
        if max_length is not None:
            while state.ready_count > max_length:
                head = state.head()
                self.drop(queue, head.seq)
                self.dead_letter(spec, head, "maxlen")
        if spec.durable and env.persistent and seq in state.messages:
            # confirmed once written to disk (RabbitMQ: after the fsync of the message store)
            self.set_timer(self.options["fsync_ms"], self.on_written, queue, seq, ref)
        else:
            self.reply(ref, queue, True, None)
        self.dispatch(queue)

    def on_written(self, queue: str, seq: int, ref) -> None:
        state = self.queues.get(queue)
        qm = state.messages.get(seq) if state is not None else None
        if qm is not None and queue in self.disk:
            self.disk[queue][seq] = qm.copy()
        self.reply(ref, queue, True, None)

    def drop(self, queue: str, seq: int) -> QMsg | None:
        """Remove a message from a classic queue and from disk."""
        self.disk.get(queue, {}).pop(seq, None)
        return self.queues[queue].remove(seq)

    def on_expire(self, queue: str, seq: int) -> None:
        state = self.queues.get(queue)
        if state is None or seq not in state.messages or seq in state.checked_out:
            return    # gone, or delivered: an unacknowledged message expires if requeued
        qm = self.drop(queue, seq)
        self.dead_letter(self.defs.queues[queue], qm, "expired")

    def dead_letter(self, spec, qm: QMsg, reason: str) -> None:
        """Republish ``qm`` to the queue's dead-letter exchange (or drop it if none)."""
        dlx = spec.args.get("x-dead-letter-exchange")
        self.broker.record_dead_letter(spec.name, qm.env.id, reason, dlx, self.now)
        self.trace("dead-letter", f"{qm.env.id} from {spec.name}: {reason}", id=qm.env.id,
                   queue=spec.name, reason=reason, exchange=dlx)
        if dlx is None or (dlx != "" and dlx not in self.defs.exchanges):
            return
        key = spec.args.get("x-dead-letter-routing-key", qm.env.routing_key)
        env = replace(qm.env, exchange=dlx, routing_key=key, expiration_ms=None,
                      death=qm.env.death + ((spec.name, reason),))
        for target in self.defs.route(dlx, key, env.header_dict):
            if target == spec.name and reason != "rejected":
                continue      # RabbitMQ drops a dead-letter cycle with no rejection in it
            self.enqueue_to(target, env, None)

    # -- consumers -------------------------------------------------------------------------
    def serving(self, queue: str) -> QueueState | None:
        """The state of ``queue`` if this node serves its consumers (host, or quorum leader)."""
        state = self.queues.get(queue)
        return state if state is not None else self.quorum_serving(queue)

    def handle_consume(self, msg, src: str) -> None:
        state = self.serving(msg.queue)
        if state is None:
            spec = self.defs.queues.get(msg.queue)
            where = "no longer exists" if spec is None else f"is not served by {self.name}"
            self.send(src, ConsumeOk(msg.tag, False, f"queue {msg.queue!r} {where}"))
            return
        if msg.tag not in state.consumers:      # a retried basic.consume changes nothing
            state.consumers[msg.tag] = ConsumerState(msg.tag, src, msg.prefetch, msg.auto_ack,
                                                     self.now)
            self.owner[msg.tag] = msg.queue
        self.send(src, ConsumeOk(msg.tag, True, None))
        self.dispatch(msg.queue)

    def dispatch(self, queue: str) -> None:
        """Send ready messages to consumers with room, round robin."""
        state = self.serving(queue)
        if state is None:
            return
        quorum = queue not in self.queues
        disk = self.disk.get(queue, {})
        while True:
            chosen = state.next_delivery()
            if chosen is None:
                return
            consumer, qm = chosen
            redelivered = qm.redelivered
            dtag = state.checkout(consumer, qm)
            if quorum and consumer.auto_ack:
                self.quorum_settled(queue, qm.seq)
            elif consumer.auto_ack:
                disk.pop(qm.seq, None)
            elif qm.seq in disk:
                disk[qm.seq].redelivered = True    # delivered: back redelivered after a crash
            self.send(consumer.client, Deliver(consumer.tag, dtag, queue, qm.env, redelivered))

    def _consumer(self, tag: str):
        queue = self.owner.get(tag)
        state = self.serving(queue) if queue is not None else None
        consumer = state.consumers.get(tag) if state is not None else None
        return queue, state, consumer

    def handle_ack(self, msg, src: str) -> None:
        queue, state, consumer = self._consumer(msg.tag)
        if consumer is None:
            return      # the channel was closed: its deliveries were requeued already
        consumer.last_seen_ms = self.now
        if queue in self.queues:
            seq = state.settle(consumer, msg.delivery_tag)
            if seq is not None:
                self.drop(queue, seq)
        else:
            self.quorum_ack(queue, consumer, msg.delivery_tag)
        self.dispatch(queue)

    def handle_nack(self, msg, src: str) -> None:
        queue, state, consumer = self._consumer(msg.tag)
        if consumer is None:
            return
        consumer.last_seen_ms = self.now
        if queue in self.queues:
            seq = state.settle(consumer, msg.delivery_tag)
            if seq is not None:
                self.return_or_reject(queue, seq, msg.requeue)
        else:
            self.quorum_nack(queue, consumer, msg.delivery_tag, msg.requeue)
        self.dispatch(queue)

    def return_or_reject(self, queue: str, seq: int, requeue: bool) -> None:
        state = self.queues[queue]
        qm = state.messages.get(seq)
        if requeue and qm is not None and (qm.expires_at is None or qm.expires_at > self.now):
            state.requeue(seq)
            return
        self.drop(queue, seq)
        if qm is not None:
            self.dead_letter(self.defs.queues[queue], qm, "rejected" if not requeue
                             else "expired")

    def close_consumer(self, tag: str, reason: str) -> None:
        """Close a consumer's channel: its unacknowledged messages go back, ``redelivered``."""
        queue, state, consumer = self._consumer(tag)
        self.owner.pop(tag, None)
        if consumer is None:
            return
        seqs = state.remove_consumer(tag)
        self.trace("channel", f"closed {tag} on {queue} ({reason}): {len(seqs)} requeued",
                   peer=consumer.client, tag=tag, queue=queue, reason=reason,
                   requeued=len(seqs))
        if queue in self.queues:
            for seq in seqs:
                self.return_or_reject(queue, seq, True)
        else:
            self.quorum_returned(queue, seqs)
        self.send(consumer.client, ChannelClosed(tag, reason))
        self.dispatch(queue)

    def handle_cancel(self, msg, src: str) -> None:
        self.close_consumer(msg.tag, "closed by the client")

    def handle_heartbeat(self, msg, src: str) -> None:
        queue, state, consumer = self._consumer(msg.tag)
        if consumer is not None:
            consumer.last_seen_ms = self.now
        self.send(src, HeartbeatOk(msg.tag, consumer is not None))

    def on_heartbeat_timer(self) -> None:
        limit = 2 * self.options["heartbeat_ms"]
        for tag in sorted(self.owner):
            queue, state, consumer = self._consumer(tag)
            if consumer is not None and self.now - consumer.last_seen_ms > limit:
                self.close_consumer(tag, "missed heartbeats")
        self.quorum_tick()
        self.set_timer(self.options["heartbeat_ms"], self.on_heartbeat_timer, daemon=True)
