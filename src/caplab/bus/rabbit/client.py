"""Publishers and consumers of the RabbitMQ-like broker: clients on the network.

A :class:`Publisher` sends ``basic.publish`` to the node it is near; with publisher confirms on
(the default) its ``publish`` completes ``ok`` when the broker confirms, ``fail`` on a nack, and
``info`` (unknown) when no confirm arrives in time. A :class:`Consumer` subscribes to a queue on
the node that serves it, processes one delivery at a time (``process_ms`` each), acknowledges
it (manual acknowledgement) or not (automatic), and recovers its subscription when the channel
closes or heartbeats stop, as client libraries' automatic connection recovery does.

Every publish is an operation in the world's history (op ``publish``, key: the exchange); every
processed delivery is an operation ``consume`` (key: the queue, output: the message id).
"""

from __future__ import annotations

from collections import deque

from ...errors import ConfigError, check_flag
from ...world.client import Client, ClientDriver
from .fifo import Resequencer
from .messages import Ack, Cancel, Consume, Heartbeat, Nack, Publish
from .queue import Envelope

__all__ = ["Publisher", "Consumer", "RabbitDriver", "HANDLER_OUTCOMES"]

#: what a consumer's handler may return: acknowledge, requeue (nack requeue=True), or reject
#: (nack requeue=False: dead-lettered)
HANDLER_OUTCOMES = ("ack", "requeue", "reject")


class RabbitDriver(ClientDriver):
    """The broker's clients run their own operations; every operation takes only
    ``timeout_ms``."""


class Publisher(Client):
    """A publisher; create it with ``broker.publisher(name, near=node)``."""

    def __init__(self, name: str, broker, confirms: bool) -> None:
        super().__init__(name, broker)
        self.confirms = confirms
        self.seq = 0
        self.waiting: dict[int, object] = {}
        self._next = None

    def publish(self, exchange: str, routing_key: str = "", body=None, **options):
        """Publish and wait for the confirm (or, without confirms, for the send).

        Args:
            exchange: an exchange name (``""``: the default exchange, routing by queue name).
            routing_key: the routing key.
            body: the payload (opaque).
            **options: ``headers`` (dict), ``persistent`` (bool), ``expiration_ms`` (per-message
                TTL), ``message_id`` (default ``<publisher>-<n>``), ``timeout_ms``.

        Returns:
            a :class:`~caplab.world.Result`: ``ok`` (confirmed), ``fail`` (nacked or unknown
            exchange), ``info`` (no confirm in time: it may or may not be in a queue).

        Raises:
            ConfigError: a bad argument (nothing is sent).
            UnknownNameError: an exchange the broker does not have.

        Example:
            >>> p.publish("orders", "eu.paid", {"order": 1}, persistent=True).ok  # doctest: +SKIP
            True
        """
        return self.wait(self.publish_async(exchange, routing_key, body, **options))

    def publish_async(self, exchange: str, routing_key: str = "", body=None, *,
                      headers: dict | None = None, persistent: bool = False,
                      expiration_ms: int | None = None, message_id: str | None = None,
                      timeout_ms: int | None = None):
        """Start a publish; returns its :class:`~caplab.world.OpHandle` at once."""
        if not isinstance(exchange, str):
            raise ConfigError(f"exchange must be a string ('' is the default exchange), got "
                              f"{exchange!r}")
        self.system.defs.require_exchange(exchange)
        if not isinstance(routing_key, str):
            raise ConfigError(f"routing_key must be a string, got {routing_key!r}")
        if headers is not None and not isinstance(headers, dict):
            raise ConfigError(f"headers must be a dict, got {headers!r}")
        if expiration_ms is not None and (isinstance(expiration_ms, bool) or not isinstance(
                expiration_ms, int) or expiration_ms < 0):
            raise ConfigError(f"expiration_ms (per-message TTL) must be a whole number of ms "
                              f">= 0 or None, got {expiration_ms!r}")
        check_flag("persistent", persistent)
        mid = message_id if message_id is not None else f"{self.name}-{self.seq + 1}"
        env = Envelope(str(mid), exchange, routing_key, body,
                       tuple(sorted((headers or {}).items())), persistent, expiration_ms)
        options = {} if timeout_ms is None else {"timeout_ms": timeout_ms}
        self._next = env
        return self.invoke("publish", exchange or "amq.default",
                           {"id": env.id, "routing_key": routing_key, "body": body}, options)

    def start_op(self, handle) -> None:
        env, self._next = self._next, None
        self.seq += 1
        handle.state.update(env=env, seq=self.seq, node=self.near)
        self.system.record_publish(env, self.now, self.confirms)
        self.send(self.near, Publish(self.seq, env, self.confirms))
        if self.confirms:
            self.waiting[self.seq] = handle
        else:
            self.finish(handle, "ok", value={"id": env.id, "confirmed": None}, node=self.near)

    def receive(self, msg, src: str) -> None:
        self.dispatch_message(msg, src)

    def dispatch_message(self, msg, src: str) -> None:
        handle = self.waiting.pop(msg.seq, None)     # only Confirm comes to a publisher
        if handle is None or handle.done:
            return
        if msg.ok:
            self.finish(handle, "ok", value={"id": handle.state["env"].id, "confirmed": True,
                                             "routed": msg.routed}, node=src)
        else:
            self.finish(handle, "fail", node=src, error=f"nack: {msg.error}")

    def op_finished(self, handle) -> None:
        self.waiting.pop(handle.state.get("seq"), None)
        env = handle.state.get("env")
        if env is not None and self.confirms:
            outcome = handle.result.outcome
            confirmed = True if outcome == "ok" else (False if outcome == "fail" else None)
            self.system.settle_publish(env.id, confirmed)


class Consumer(Client):
    """A consumer of one queue; create it with ``broker.consumer(name, queue, ...)``."""

    def __init__(self, name: str, broker, queue: str, prefetch: int, auto_ack: bool,
                 process_ms: int, handler) -> None:
        super().__init__(name, broker)
        self.queue = queue
        self.prefetch = prefetch
        self.auto_ack = auto_ack
        self.process_ms = process_ms
        self.handler = handler
        self.epoch = 0
        self.tag: str | None = None
        self.node: str | None = None
        self.active = False
        self.closed = False
        self.last_ok = 0
        self.buffer: deque = deque()
        self.busy = False
        self.inbound = Resequencer(self._arrived, self.set_timer)

    # -- subscription ----------------------------------------------------------------------
    def start(self) -> None:
        self.subscribe()
        self.set_timer(self.system.options["heartbeat_ms"], self.on_tick, daemon=True)

    def subscribe(self) -> None:
        """(Re)open a channel and basic.consume on the node that serves the queue."""
        self.epoch += 1
        self.tag = f"{self.name}.{self.epoch}"
        self.node = self.system.locate(self.queue)
        self.active = False
        self.last_ok = self.now
        self.buffer.clear()
        self.busy = False
        self.send(self.node, Consume(self.tag, self.queue, self.prefetch, self.auto_ack))

    def close(self) -> None:
        """Close the channel: the broker requeues what this consumer has not acknowledged."""
        if self.tag is not None and not self.closed:
            self.send(self.node, Cancel(self.tag))
        self.closed = True
        self.active = False
        self.buffer.clear()

    def crash(self) -> None:
        """Crash this consumer's process (its buffered, unprocessed deliveries are lost)."""
        self.network.crash(self.name)

    def restart(self) -> None:
        """Restart a crashed consumer; it subscribes again."""
        self.network.restart(self.name)

    def on_crash(self) -> None:
        super().on_crash()
        self.inbound.reset()
        self.buffer.clear()
        self.busy = False
        self.active = False

    def on_restart(self) -> None:
        if not self.closed:
            self.start()

    def on_tick(self) -> None:
        if self.closed:
            return
        hb = self.system.options["heartbeat_ms"]
        if self.now - self.last_ok > 2 * hb:
            self.trace("channel", f"{self.tag} lost (no heartbeat from {self.node}): "
                                  f"re-subscribing", peer=self.node, tag=self.tag,
                       reason="missed heartbeats")
            self.subscribe()
        elif self.active:
            self.send(self.node, Heartbeat(self.tag))
        else:
            self.send(self.node, Consume(self.tag, self.queue, self.prefetch, self.auto_ack))
        self.set_timer(hb, self.on_tick, daemon=True)

    # -- messages from the broker --------------------------------------------------------------
    def receive(self, msg, src: str) -> None:
        self.dispatch_message(msg, src)

    def dispatch_message(self, msg, src: str) -> None:
        if getattr(msg, "tag", None) != self.tag or self.closed:
            return      # a stale channel's traffic
        kind = msg.kind
        if kind == "ConsumeOk":
            if msg.ok:
                self.active = True
                self.last_ok = self.now
            else:
                self.node = self.system.locate(self.queue)   # try again on the next tick
        elif kind == "HeartbeatOk":
            if msg.known:
                self.last_ok = self.now
            else:
                self.subscribe()
        elif kind == "ChannelClosed":
            self.subscribe()
        elif kind == "Deliver":
            self.last_ok = self.now
            self.inbound.push(msg.tag, msg.delivery_tag, msg)

    def _arrived(self, msg) -> None:
        if msg.tag == self.tag:
            self.buffer.append((msg, self.now))
            self.work()

    def work(self) -> None:
        if self.busy:
            return
        if self.process_ms == 0:
            while self.buffer:
                self.process(*self.buffer.popleft())
            return
        if self.buffer:
            self.busy = True
            self.set_timer(self.process_ms, self._processed, self.epoch)

    def _processed(self, epoch: int) -> None:
        if epoch != self.epoch:
            return            # the channel it belonged to was closed; a new chain runs
        self.busy = False
        if self.buffer:
            self.process(*self.buffer.popleft())
        self.work()

    def process(self, msg, received_ms: int) -> None:
        env = msg.env
        outcome = self.handler(env, msg.redelivered) if self.handler is not None else "ack"
        if outcome not in HANDLER_OUTCOMES:
            raise ConfigError(f"a consumer handler must return one of {HANDLER_OUTCOMES}, got "
                              f"{outcome!r}")
        self.system.record_delivery(env.id, msg.queue, self.name, self.now, msg.redelivered,
                                    received_ms, outcome)
        if not self.up:
            return      # the handler's process died after its work, before acknowledging
        if not self.auto_ack:
            if outcome == "ack":
                self.send(self.node, Ack(msg.tag, msg.delivery_tag))
            else:
                self.send(self.node, Nack(msg.tag, msg.delivery_tag, outcome == "requeue"))
