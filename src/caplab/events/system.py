"""The event-driven shop on a world: the log, four services, two projection nodes, a facade.

Commands go to the orders service (a client on the service's host: the call is local, the
acknowledgement is the commit); queries go to a projection node's read store, which lags. The
facade measures that lag: :meth:`EventShop.command` returns the order's version, and
:meth:`EventShop.query` with ``min_version`` waits until the projection has reached it
(read-your-writes restored).

Example:
    >>> shop = EventShop(seed=1)
    >>> v = shop.command("place", "o1", customer="ann", amount=30, address="1 Main St",
    ...                  items=["red shoes"])
    >>> shop.query("order_summary", "o1") is None      # stale: the projection lags
    True
    >>> shop.query("order_summary", "o1", min_version=v)["status"]
    'placed'
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError
from ..net.endpoint import Endpoint
from ..world.system import System
from .cqrs import CustomerOrders, OrderSummary, SearchIndex
from .event import EventError, decode
from .flow import SERVICES
from .service import CRASH_POINTS, PUBLISH_MODES
from .transport import LogTransport, TransportClient

__all__ = ["EventShop", "ProjectionNode", "COMMANDS", "BUSES"]

COMMANDS = {"place": "OrderPlaced", "cancel": "OrderCancelled"}
#: the transports an event shop can run on
BUSES = ("log", "kafka")


class ProjectionNode(TransportClient, Endpoint):
    """A read side: projections fed from the orders topic, in their own (durable) store."""

    def __init__(self, name: str, transport, projections) -> None:
        super().__init__(name)
        self.transport = transport
        self.projections = {p.name: p for p in projections}
        self.group = name
        self.generation = 0
        self.dead_letters: list[tuple] = []
        self.seen: list[tuple] = []          # (time, event id, aggregate, version)
        self.visible: dict[tuple, int] = {}  # (read model, aggregate, version) -> first time
        #: crash after applying this many more records (before the offset commit), or None
        self.crash_after_apply: int | None = None
        transport.subscribe(self, self.group, "orders", self.consume)

    def start(self) -> None:
        self.transport.start(self)

    def on_restart(self) -> None:
        self.start()

    def consume(self, payload: str) -> None:
        try:
            event = decode(payload)
        except EventError as exc:
            self.dead_letters.append((payload, str(exc)))
            return
        self.seen.append((self.now, event.event_id, event.aggregate, event.version))
        for p in self.projections.values():
            before = p.versions.get(event.aggregate, 0)
            p.offer(event)
            for v in range(before + 1, p.versions.get(event.aggregate, 0) + 1):
                self.visible.setdefault((p.name, event.aggregate, v), self.now)
        if self.crash_after_apply is not None:
            self.crash_after_apply -= 1
            if self.crash_after_apply <= 0:
                self.crash_after_apply = None
                self.trace("crash_point", "crash after applying, before the offset commit",
                           point="consumer_after_apply")
                self.network.crash(self.name)

    def rebuild(self) -> None:
        """Drop the read models and replay the log from the start (a new consumer group)."""
        for p in self.projections.values():
            p.reset()
        self.generation += 1
        self.transport.unsubscribe(self, self.group, "orders")
        self.group = f"{self.name}#{self.generation}"
        self.transport.subscribe(self, self.group, "orders", self.consume)
        self.trace("rebuild", f"replaying the orders log as group {self.group}",
                   group=self.group)


class EventShop(System):
    """The order-to-delivery flow with CQRS read models on one world.

    Args:
        world: a world to stand on (None: a new one from ``seed`` and world options).
        publish: how services publish, one of :data:`PUBLISH_MODES`.
        idempotent: services keep PROCESSED_MESSAGES.
        limit: the payment limit per order.
        bus: what events travel on, one of :data:`BUSES`: ``"log"`` (the single log node of
            :class:`LogTransport`, the fast default) or ``"kafka"`` (the replicated Kafka-like
            log of :mod:`caplab.bus.kafka`, through :class:`~caplab.events.kafka.KafkaTransport`).
        transport: options of that transport (``LogTransport``: partitions, poll_ms,
            duplicate_p, reorder_p; ``KafkaTransport``: brokers, partitions, acks,
            min_insync_replicas, poll_ms), or a callable ``make(world) -> Transport``.
    Raises:
        ConfigError: a bad mode or option, named; nothing is built.
    """

    def __init__(self, *, world=None, publish: str = "outbox", idempotent: bool = True,
                 limit: int = 100, deliver_ms: int = 50, bus: str = "log",
                 transport: dict | None = None, **world_options) -> None:
        if publish not in PUBLISH_MODES:
            raise UnknownNameError("publish mode", publish, list(PUBLISH_MODES))
        if bus not in BUSES:
            raise UnknownNameError("bus", bus, list(BUSES))
        names = [*(["log"] if bus == "log" else []), *SERVICES, "summary", "search"]
        self.world = self.world_for(world, names, what="event shop node", **world_options)
        if callable(transport):
            self.transport = transport(self.world)
        elif bus == "kafka":
            from .kafka import KafkaTransport
            self.transport = KafkaTransport(self.world, **(transport or {}))
        else:
            self.transport = LogTransport(self.world, "log", **(transport or {}))
        names = [*getattr(self.transport, "nodes", []), *names[names.index("orders"):]]
        self.services = {}
        for name, cls in SERVICES.items():
            extra = {"limit": limit} if name == "payments" else (
                {"deliver_ms": deliver_ms} if name == "shipping" else {})
            svc = cls(name, self.transport, publish=publish, idempotent=idempotent, **extra)
            self.world.add_node(svc)
            self.services[name] = svc
        self.readers = {"summary": ProjectionNode("summary", self.transport,
                                                  [OrderSummary(), CustomerOrders()]),
                        "search": ProjectionNode("search", self.transport, [SearchIndex()])}
        for node in self.readers.values():
            self.world.add_node(node)
        for node in [*self.services.values(), *self.readers.values()]:
            node.start()
        self.node_names = names
        self.acks: list[tuple] = []      # (order id, version, ack time)

    def _own_nodes(self) -> list[str]:
        return list(self.node_names)

    # -- commands and queries ------------------------------------------------------------
    def command(self, name: str, order_id: str, **body) -> int:
        """Run command ``name`` ("place" or "cancel") on ``order_id``; returns its version.

        Raises:
            UnknownNameError: an unknown command. CommandError: refused (no such order,
            already placed, a bad amount); nothing changed.
        """
        if name not in COMMANDS:
            raise UnknownNameError("command", name, list(COMMANDS))
        svc = self.services["orders"]
        if not svc.up:
            raise ConfigError("the orders service is down; restart('orders') first")
        if name == "cancel":
            body = {"reason": body.get("reason", "customer")}
        version = svc.command(COMMANDS[name], order_id, body)
        self.acks.append((order_id, version, self.now))
        return version

    def projection(self, name: str):
        for node in self.readers.values():
            if name in node.projections:
                return node.projections[name]
        raise UnknownNameError("read model", name,
                               [p for n in self.readers.values() for p in n.projections])

    def query(self, model: str, key: str, *, min_version: int | None = None,
              timeout_ms: int = 2000):
        """Read ``key`` from read model ``model``; never changes state.

        With ``min_version`` (order summary only), first wait until the projection has
        applied that version of the order (read-your-writes), up to ``timeout_ms``.

        Raises:
            UnknownNameError: an unknown read model. TimeoutError: not reached in time.
        """
        proj = self.projection(model)
        if min_version is not None:
            reached = self.world.run_until(lambda: proj.versions.get(key, 0) >= min_version,
                                           timeout_ms=timeout_ms)
            if not reached:
                raise TimeoutError(f"{model} has version {proj.versions.get(key, 0)} of "
                                   f"{key!r} after {timeout_ms} ms, wanted {min_version}")
        return proj.model().get(key)

    def settle(self, *, max_ms: int = 5000, step_ms: int = 50) -> int:
        """Run until every outbox row is sent and every reader caught up (or ``max_ms``)."""
        start = self.now
        while self.now - start < max_ms:
            self.world.run_for(step_ms)
            if self.quiet():
                break
        return self.now - start

    def quiet(self) -> bool:
        if any(not n.up for n in [*self.services.values(), *self.readers.values()]):
            return False
        if any(s.busy() or s.unsent() for s in self.services.values()):
            return False
        nodes = [*self.services.values(), *self.readers.values()]
        return all(self.transport.backlog(node) == 0 for node in nodes)

    def log_events(self, topic: str | None = None) -> list:
        """Decoded events of the log (one topic or all), partition by partition."""
        topics = [topic] if topic else self.transport.topics()
        out = []
        for t in topics:
            for _off, _key, payload in self.transport.records(t):
                try:
                    out.append((t, decode(payload)))
                except EventError:
                    pass
        return out

    def crash_at(self, service: str, point: str, *, hits: int = 1) -> None:
        """Crash ``service`` the ``hits``-th time it reaches ``point``."""
        if service not in self.services:
            raise UnknownNameError("service", service, list(self.services))
        if point not in CRASH_POINTS:
            raise UnknownNameError("crash point", point, list(CRASH_POINTS))
        self.services[service].crash_at[point] = hits
