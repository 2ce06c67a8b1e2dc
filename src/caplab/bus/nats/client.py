"""A NATS-like client: publish (fire and forget), subscribe with wildcards and queue groups,
request-reply through an inbox, JetStream publish and push consumers.

The client connects to the server it is near, pings it every ``ping_ms``, and reconnects and
subscribes again when two pings go unanswered (NATS clients resubscribe after a reconnect). What
was published while it was away is gone for its core subscriptions, not for its JetStream
consumers.

Operations in the world's history: ``publish`` (ok once sent: core NATS acknowledges nothing),
``request`` (ok with the reply, ``fail`` on "no responders", ``info`` on a timeout),
``js_publish`` (ok on the stream's publish acknowledgement); every processed message is an
operation ``receive`` (key: the subject, output: the message id).
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError
from ...world.client import Client, ClientDriver
from ..rabbit.fifo import Resequencer
from .messages import JsAck, JsBind, JsPublish, Ping, Pub, Sub, Unsub
from .subjects import check_pattern, check_subject

__all__ = ["NatsClient", "NatsDriver", "JS_OUTCOMES"]

#: what a JetStream handler may return: ack, nak (redeliver now), or ignore (no ack: redelivered
#: after ack_wait)
JS_OUTCOMES = ("ack", "nak", "ignore")


class NatsDriver(ClientDriver):
    """NATS clients run their own operations; every operation takes only ``timeout_ms``."""


class NatsClient(Client):
    """A NATS connection; create it with ``nats.client(name, near=server)``."""

    def __init__(self, name: str, system) -> None:
        super().__init__(name, system)
        self.conn = 0
        self.out_seq: dict[str, int] = {}
        self.server: str | None = None
        self.subs: dict[int, dict] = {}
        self.next_sid = 1
        self.js: dict[str, dict] = {}             # durable -> consumer settings
        self.last_pong = 0
        self.count = 0
        self._next = None
        self.inbound = Resequencer(self._in_order, self.set_timer)

    # -- connection ----------------------------------------------------------------------------
    def start(self) -> None:
        self.connect()
        self.set_timer(self.system.options["ping_ms"], self.on_ping_timer, daemon=True)

    def connect(self) -> None:
        """(Re)connect to the near server and subscribe again."""
        self.conn += 1
        self.out_seq = {}
        self.server = self.near
        self.last_pong = self.now
        for sid, sub in sorted(self.subs.items()):
            self._send(self.server, Sub, sid, sub["pattern"], sub["queue"])
        for durable, js in sorted(self.js.items()):
            self._send(js["server"], JsBind, js["stream"], durable, js["ack_wait_ms"],
                       js["max_deliver"])

    def _send(self, dst: str, cls, *args) -> None:
        seq = self.out_seq.get(dst, 0) + 1          # numbered per connection (per server)
        self.out_seq[dst] = seq
        self.send(dst, cls(self.conn, seq, *args))

    def on_ping_timer(self) -> None:
        ping = self.system.options["ping_ms"]
        if self.now - self.last_pong > 2 * ping:
            self.trace("reconnect", f"no PONG from {self.server}: reconnecting",
                       peer=self.server)
            self.connect()
        else:
            self._send(self.server, Ping)
            for durable, js in sorted(self.js.items()):
                # binding again is idempotent, and keeps the stream's server hearing from us
                self._send(js["server"], JsBind, js["stream"], durable, js["ack_wait_ms"],
                           js["max_deliver"])
        self.set_timer(ping, self.on_ping_timer, daemon=True)

    def crash(self) -> None:
        """Crash this client: its subscriptions are gone until it restarts."""
        self.network.crash(self.name)

    def restart(self) -> None:
        """Restart a crashed client: it reconnects and subscribes again."""
        self.network.restart(self.name)

    def on_crash(self) -> None:
        super().on_crash()
        self.inbound.reset()

    def on_restart(self) -> None:
        self.start()

    # -- subscriptions ---------------------------------------------------------------------
    def subscribe(self, pattern: str, *, queue: str | None = None, handler=None) -> int:
        """Subscribe to ``pattern`` (``*`` one token, ``>`` one or more trailing tokens).

        Args:
            queue: a queue group name: each message goes to one member of the group.
            handler: ``handler(subject, data, msg_id)``; for a request, what it returns is
                sent back as the reply (None: no reply).

        Returns:
            the subscription id.

        Raises:
            ConfigError: a malformed pattern or queue name.

        Example:
            >>> sid = nc.subscribe("orders.*", queue="workers")   # doctest: +SKIP
        """
        check_pattern(pattern)
        if queue is not None and (not isinstance(queue, str) or not queue
                                  or any(c.isspace() for c in queue)):
            raise ConfigError(f"queue group must be a non-empty name without spaces, got "
                              f"{queue!r}")
        sid = self.next_sid
        self.next_sid += 1
        self.subs[sid] = {"pattern": pattern, "queue": queue, "handler": handler}
        self._send(self.server, Sub, sid, pattern, queue)
        return sid

    def unsubscribe(self, sid: int) -> None:
        """Remove subscription ``sid``.

        Raises:
            UnknownNameError: no such subscription.
        """
        if sid not in self.subs:
            raise UnknownNameError("subscription", sid, sorted(self.subs))
        del self.subs[sid]
        self._send(self.server, Unsub, sid)

    def consume(self, stream: str, durable: str, *, ack_wait_ms: int = 300,
                max_deliver: int = -1, handler=None) -> None:
        """Bind a durable push consumer of JetStream ``stream`` with explicit acks.

        Args:
            ack_wait_ms: redeliver a message not acknowledged in this time (NATS AckWait,
                30 s by default in NATS; 300 ms here, at lab scale).
            max_deliver: give up on a message after this many deliveries; -1 (the default, as
                NATS's MaxDeliver, whose default -1 means unlimited) redelivers until
                acknowledged.
            handler: ``handler(subject, data, msg_id, delivered) -> "ack" | "nak" | "ignore"``
                (None: ack).

        Raises:
            UnknownNameError: an unknown stream.
            ConfigError: ack_wait_ms < 1, max_deliver neither -1 nor >= 1, a taken durable
                name.
        """
        server = self.system.stream_server(stream)
        for name, value in (("ack_wait_ms", ack_wait_ms), ("max_deliver", max_deliver)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1 and not (
                    name == "max_deliver" and value == -1):
                allowed = ">= 1, or -1 (unlimited)" if name == "max_deliver" else ">= 1"
                raise ConfigError(f"{name} must be a whole number {allowed}, got {value!r}")
        if not isinstance(durable, str) or not durable or durable in self.js:
            raise ConfigError(f"durable must be a new non-empty name, got {durable!r}")
        self.js[durable] = {"stream": stream, "server": server, "ack_wait_ms": ack_wait_ms,
                            "max_deliver": max_deliver, "handler": handler}
        self._send(server, JsBind, stream, durable, ack_wait_ms, max_deliver)

    # -- operations ----------------------------------------------------------------------------
    def publish(self, subject: str, data=None, *, message_id: str | None = None):
        """Publish on ``subject``; ok as soon as it is sent (at-most-once: nothing confirms).

        Raises:
            ConfigError: a malformed subject or one with wildcards.
        """
        return self.wait(self._invoke("publish", subject, data, message_id, None))

    def request(self, subject: str, data=None, *, timeout_ms: int | None = None):
        """Send a request and wait for the first reply on a fresh inbox.

        Returns:
            ``ok`` with the reply in ``history[r.id].output``; ``fail`` at once with "no
            responders" when nobody subscribes; ``info`` when nobody answers in time.
        """
        return self.wait(self._invoke("request", subject, data, None, timeout_ms))

    def js_publish(self, subject: str, data=None, *, message_id: str | None = None):
        """Publish to the stream capturing ``subject``; ok on its publish acknowledgement."""
        return self.wait(self._invoke("js_publish", subject, data, message_id, None))

    def publish_async(self, subject: str, data=None, *, message_id: str | None = None):
        """Start a publish; returns its handle at once."""
        return self._invoke("publish", subject, data, message_id, None)

    def request_async(self, subject: str, data=None, *, timeout_ms: int | None = None):
        """Start a request; returns its handle at once."""
        return self._invoke("request", subject, data, None, timeout_ms)

    def js_publish_async(self, subject: str, data=None, *, message_id: str | None = None):
        """Start a JetStream publish; returns its handle at once."""
        return self._invoke("js_publish", subject, data, message_id, None)

    def _invoke(self, op, subject, data, message_id, timeout_ms):
        check_subject(subject)
        mid = str(message_id) if message_id is not None else f"{self.name}-{self.count + 1}"
        self._next = (subject, data, mid)
        options = {} if timeout_ms is None else {"timeout_ms": timeout_ms}
        return self.invoke(op, subject, {"id": mid, "data": data}, options)

    def start_op(self, handle) -> None:
        (subject, data, mid), self._next = self._next, None
        self.count += 1
        op = handle.operation.op
        handle.state.update(id=mid, node=self.server)
        self.system.record_publish(mid, subject, self.now, op)
        if op == "publish":
            self._send(self.server, Pub, subject, None, data, mid)
            self.finish(handle, "ok", value={"id": mid}, node=self.server)
        elif op == "request":
            inbox = f"_INBOX.{self.name}.{handle.id}"
            sid = self.next_sid
            self.next_sid += 1
            self.subs[sid] = {"pattern": inbox, "queue": None, "handler": None,
                              "request": handle}
            handle.state.update(sid=sid, inbox=inbox)
            self._send(self.server, Sub, sid, inbox, None)
            self._send(self.server, Pub, subject, inbox, data, mid)
        else:
            server = self.system.stream_holder(subject) or self.server
            handle.state["node"] = server
            self._send(server, JsPublish, subject, data, mid, handle.id)

    def op_finished(self, handle) -> None:
        sid = handle.state.get("sid")
        if sid is not None and sid in self.subs:
            del self.subs[sid]
            if self.up:
                self._send(self.server, Unsub, sid)
        if handle.operation.op == "js_publish":
            outcome = handle.result.outcome
            self.system.settle_publish(handle.state["id"], True if outcome == "ok" else
                                       (False if outcome == "fail" else None))

    # -- messages from servers -----------------------------------------------------------------
    def receive(self, msg, src: str) -> None:
        self.inbound.push(src, msg.seq, msg)

    def _in_order(self, msg) -> None:
        kind = msg.kind
        if kind == "Pong":
            self.last_pong = self.now
        elif kind == "Msg":
            self._on_msg(msg)
        elif kind == "NoResponders":
            for sub in list(self.subs.values()):
                handle = sub.get("request")
                if handle is not None and sub["pattern"] == msg.reply:
                    self.finish(handle, "fail", node=self.server,
                                error=f"no responders: nobody subscribes to {msg.subject!r} "
                                      f"(503; definite: not delivered)")
        elif kind == "PubAck":
            handle = self.pending.get(msg.op_id)
            if handle is not None:
                if msg.ok:
                    self.finish(handle, "ok", value={"id": handle.state["id"],
                                                     "stream": msg.stream,
                                                     "stream_seq": msg.stream_seq})
                else:
                    self.finish(handle, "fail", error=msg.error)
        elif kind == "JsMsg":
            self._on_js_msg(msg)

    def _on_msg(self, msg) -> None:
        sub = self.subs.get(msg.sid)
        if sub is None:
            return
        handle = sub.get("request")
        if handle is not None:
            self.finish(handle, "ok", value=msg.data, node=self.server)
            return
        self.system.record_delivery(msg.msg_id, msg.subject, self.name, self.now, False)
        handler = sub["handler"]
        answer = handler(msg.subject, msg.data, msg.msg_id) if handler is not None else None
        if answer is not None and msg.reply is not None:
            self.count += 1
            self._send(self.server, Pub, msg.reply, None, answer, f"{self.name}-{self.count}")

    def _on_js_msg(self, msg) -> None:
        js = self.js.get(msg.durable)
        if js is None:
            return
        self.system.record_delivery(msg.msg_id, msg.subject, self.name, self.now,
                                    msg.delivered > 1)
        handler = js["handler"]
        outcome = (handler(msg.subject, msg.data, msg.msg_id, msg.delivered)
                   if handler is not None else "ack")
        if outcome not in JS_OUTCOMES:
            raise ConfigError(f"a JetStream handler must return one of {JS_OUTCOMES}, got "
                              f"{outcome!r}")
        if outcome != "ignore" and self.up:   # a handler that died sends no ack
            self._send(js["server"], JsAck, msg.durable, msg.stream_seq, outcome == "nak")
