"""JetStream-like persistence beside core NATS: streams store the messages published on their
subjects; durable push consumers deliver them with explicit acknowledgement, redeliver a
message not acknowledged within ``ack_wait_ms``, and stop after ``max_deliver`` deliveries.
That is at-least-once, against core NATS's at-most-once.

Durable (a file-backed stream survives a server restart): streams and their messages, each
durable consumer's configuration, delivery counts and acknowledgements. Volatile: which client
a consumer is bound to, and the ack-wait timers (a restarted server delivers every unacknowledged
message again once its client binds).

Sources: NATS documentation, "JetStream" (streams capture subjects; publish acknowledgements),
"Consumers" (AckExplicit; AckWait: "the amount of time the server will wait for an ack for any
individual message" before redelivering; MaxDeliver: "the maximum number of times a specific
message delivery will be attempted"; a negative ack, nak, asks for redelivery at once).
Deviations: one replica per stream (R1) on one server; push consumers only, one bound client
each; no max_ack_pending limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .messages import JsMsg, PubAck
from .subjects import subject_matches

__all__ = ["Stream", "DurableConsumer", "JetStreamRules"]


@dataclass
class Stream:
    name: str
    subjects: tuple
    messages: dict = field(default_factory=dict)   # stream seq -> (subject, data, msg_id)
    last_seq: int = 0


@dataclass
class DurableConsumer:
    stream: str
    durable: str
    ack_wait_ms: int
    max_deliver: int
    delivered: dict = field(default_factory=dict)  # stream seq -> deliveries so far

    def exhausted(self, seq: int) -> bool:
        """Whether ``seq`` has had its ``max_deliver`` deliveries (-1, NATS's default: never)."""
        return self.max_deliver != -1 and self.delivered.get(seq, 0) >= self.max_deliver
    acked: set = field(default_factory=set)
    floor: int = 1                                 # every seq below is acknowledged
    pending: set = field(default_factory=set)      # delivered, waiting for an ack (volatile)


class JetStreamRules:
    """The JetStream part of a NATS server (mixed into :class:`NatsServer`)."""

    def js_init(self) -> None:
        self.streams: dict[str, Stream] = {}
        self.js_consumers: dict[tuple, DurableConsumer] = {}

    def js_reset(self) -> None:
        self.bound: dict[tuple, str] = {}          # (stream, durable) -> client
        for consumer in self.js_consumers.values():
            consumer.pending.clear()

    def js_capture(self, subject: str, data, msg_id: str):
        """Store the message in the stream whose subjects match; returns (stream, seq)."""
        for name in sorted(self.streams):
            stream = self.streams[name]
            if any(subject_matches(p, subject) for p in stream.subjects):
                stream.last_seq += 1
                stream.messages[stream.last_seq] = (subject, data, msg_id)
                for key in sorted(self.bound):
                    if key[0] == name:
                        self.js_pump(key)
                return name, stream.last_seq
        return None

    def handle_js_publish(self, msg, src: str) -> None:
        captured = self.route(msg.subject, None, msg.data, msg.msg_id, src)
        if captured is None:
            self.post(src, PubAck, msg.op_id, False, None, 0,
                      f"no stream captures subject {msg.subject!r} (503 no responders; "
                      f"definite: not stored)")
        else:
            self.post(src, PubAck, msg.op_id, True, captured[0], captured[1], None)

    def handle_js_bind(self, msg, src: str) -> None:
        key = (msg.stream, msg.durable)
        if msg.stream not in self.streams:
            return
        if key not in self.js_consumers:
            self.js_consumers[key] = DurableConsumer(msg.stream, msg.durable, msg.ack_wait_ms,
                                                     msg.max_deliver)
        self.bound[key] = src
        self.js_pump(key)

    def js_unbind(self, client: str) -> None:
        for key in [k for k, c in self.bound.items() if c == client]:
            del self.bound[key]

    def js_pump(self, key: tuple) -> None:
        """Deliver every message the bound client has not got, acked or given up on."""
        if key not in self.bound:
            return
        c = self.js_consumers[key]
        stream = self.streams[c.stream]
        for seq in range(c.floor, stream.last_seq + 1):
            if seq in c.acked or seq in c.pending or seq not in stream.messages:
                continue
            if c.exhausted(seq):
                continue
            self.js_deliver(key, seq)

    def js_deliver(self, key: tuple, seq: int) -> None:
        c = self.js_consumers[key]
        count = c.delivered.get(seq, 0) + 1
        c.delivered[seq] = count
        c.pending.add(seq)
        subject, data, msg_id = self.streams[c.stream].messages[seq]
        self.post(self.bound[key], JsMsg, c.durable, seq, subject, data, msg_id, count)
        self.set_timer(c.ack_wait_ms, self.on_ack_wait, key, seq, count)

    def on_ack_wait(self, key: tuple, seq: int, count: int) -> None:
        c = self.js_consumers[key]
        if seq not in c.pending or c.delivered.get(seq) != count:
            return
        c.pending.discard(seq)
        self.js_retry(key, seq, "ack wait expired")

    def js_retry(self, key: tuple, seq: int, why: str) -> None:
        c = self.js_consumers[key]
        if c.exhausted(seq):
            self.trace("max-deliver", f"{c.durable}: stream seq {seq} not acknowledged after "
                                      f"{c.max_deliver} deliveries; no more attempts",
                       durable=c.durable, stream_seq=seq, deliveries=c.delivered[seq])
            self.system.record_given_up(c.stream, c.durable, self.streams[c.stream]
                                        .messages[seq][2], self.now)
            return
        if key in self.bound:
            self.trace("redeliver", f"{c.durable}: stream seq {seq} ({why})",
                       durable=c.durable, stream_seq=seq, reason=why)
            self.js_deliver(key, seq)

    def handle_js_ack(self, msg, src: str) -> None:
        key = None
        for k in self.js_consumers:
            if k[1] == msg.durable and self.bound.get(k) == src:
                key = k
        if key is None:
            return
        c = self.js_consumers[key]
        if msg.stream_seq not in c.pending:
            return
        c.pending.discard(msg.stream_seq)
        if msg.nak:
            self.js_retry(key, msg.stream_seq, "nak")
            return
        c.acked.add(msg.stream_seq)
        while c.floor in c.acked:
            c.acked.discard(c.floor)
            c.floor += 1
