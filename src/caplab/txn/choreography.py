"""A choreographed saga: the same order flow, driven by events between the services instead
of a manager.

microservices.io *Saga*: in choreography "each local transaction publishes domain events that
trigger local transactions in other services". Here the order service creates the order and
tells payment; payment charges and tells inventory; inventory reserves and tells shipping;
shipping schedules and tells order, which approves. A refusal travels back the same chain:
each service compensates its own step and tells the one before it, and the order service
cancels the order and tells the customer. By default events go by direct messages, so at most
once: a lost event stalls the order half-way, with nobody to notice (no manager times out).
With ``transport="bus"`` they go over a Kafka-like log (:mod:`caplab.txn.choreography_bus`),
at least once: nothing is lost, and the services absorb the redeliveries. There is no saga
log in one place: the state of an order is spread over the services (what the checker reads).
Faults covered: step and compensation failures; a compensation that keeps failing publishes
``CompensationFailed``; lost events; on the bus, a consumer crash before it commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UnknownNameError
from ..net.message import message
from ..world.client import Driver
from ..world.describe import Description, Role
from .facade import TxnSystem, check_positive_ms, check_quantities
from .saga import CompensationFailed, Step
from .saga_service import SagaService

__all__ = ["Choreography", "CHAIN", "OrderEvent", "TRANSPORTS"]

#: how the services' events travel
TRANSPORTS = ("direct", "bus")

#: the chain: service, action, compensation (the order service also approves at the end)
CHAIN = (("order", "create_order", "cancel_order"), ("payment", "charge", "refund"),
         ("inventory", "reserve", "release"), ("shipping", "schedule", "cancel_shipment"))


@message
class OrderEvent:
    order: str
    stage: int          # the chain position the event is for
    forward: bool       # True: do your step; False: compensate it
    args: dict
    client: str
    reason: str = ""     # why the saga is going backward


@message
class OrderSettled:
    order: str
    state: str          # "completed" or "compensated" or "compensation_failed"
    reason: str = ""


class ChoreoService(SagaService):
    """A service that reacts to order events: its step forward, its compensation backward."""

    def __init__(self, name, domain, sequencer, *, stage: int, retries: int,
                 retry_ms: int, dead_letters: list) -> None:
        super().__init__(name, domain, sequencer)
        self.stage = stage
        self.retries = retries
        self.retry_ms = retry_ms
        self.dead_letters = dead_letters
        self.handled: set = set()         # durable: (order, stage, forward) already done
        self.duplicates = 0               # events absorbed because already handled
        self.transport = None             # a BusTransport, or None: direct messages

    def _emit(self, dst: str, event) -> None:
        """Send an order event to service ``dst``: on the bus if there is one."""
        if self.transport is not None:
            self.transport.publish(self.name, dst, event)
        else:
            self.send(dst, event)

    def _next(self, msg: OrderEvent, forward: bool, stage: int) -> None:
        if stage < 0:
            return
        if stage >= len(CHAIN):           # past the last step: the order service approves
            self._approve(msg)
            return
        self._emit(CHAIN[stage][0], OrderEvent(msg.order, stage, forward, msg.args, msg.client))

    def handle_order_event(self, msg: OrderEvent, src: str) -> None:
        mark = (msg.order, msg.stage, msg.forward)
        if mark in self.handled:
            self.duplicates += 1
            return                        # a duplicate event (idempotent consumer)
        self.handled.add(mark)
        if msg.stage >= len(CHAIN):
            self._approve(msg)
            return
        _, action, comp = CHAIN[msg.stage]
        key = f"{msg.order}.{msg.stage}"
        if msg.forward:
            def done(result):
                if result.ok:
                    self._next(msg, True, msg.stage + 1)
                else:
                    self._back(msg, msg.stage - 1, result.reason)
            self.run_local(key, action, msg.args, done)
        else:
            self._compensate(msg, key, comp, 0)

    def _compensate(self, msg, key, comp, attempt) -> None:
        def done(result):
            if result.ok:
                self._back(msg, msg.stage - 1, msg.reason)
            elif attempt + 1 < self.retries:
                self.set_timer(self.retry_ms, self._compensate, msg, key, comp, attempt + 1)
            else:
                event = CompensationFailed(msg.order, msg.stage, self.name, comp,
                                           result.reason, self.now)
                self.dead_letters.append(event)
                if self.transport is not None:
                    self.transport.alerts.publish(event)
                self._back(msg, msg.stage - 1, result.reason)
        self.run_local(key + ":c", comp, msg.args, done)

    def _back(self, msg, stage, reason) -> None:
        if stage < 0:
            failed = any(e.saga == msg.order for e in self.dead_letters)
            self.send(msg.client, OrderSettled(msg.order, "compensation_failed" if failed
                                               else "compensated", reason or msg.reason))
            return
        self._emit(CHAIN[stage][0], OrderEvent(msg.order, stage, False, msg.args, msg.client,
                                               reason))

    def on_restart(self) -> None:
        super().on_restart()
        if self.transport is not None:
            self.transport.resume(self.name)       # poll the bus again

    def _approve(self, msg) -> None:
        if self.service != "order":
            self._emit("order", OrderEvent(msg.order, len(CHAIN), True, msg.args, msg.client))
            return

        def done(result):
            self.send(msg.client, OrderSettled(msg.order, "completed"))
        self.run_local(f"{msg.order}.approve", "approve_order", msg.args, done)


@dataclass
class _OrderView:
    """What the checker needs of one order (the saga is spread over the services)."""

    saga: str
    steps: tuple
    state: str = "running"
    events: list = field(default_factory=list)
    pivot = None

    @property
    def finished(self) -> bool:
        return self.state != "running"


class _Driver(Driver):
    """The client library: place an order with the order service, finish when it settles."""

    def __init__(self, system) -> None:
        self.system = system

    def start(self, client, handle) -> None:
        handle.state["node"] = "order"
        client.send("order", OrderEvent(handle.operation.key, 0, True,
                                        dict(handle.operation.input), client.name))

    def receive(self, client, msg, src) -> None:
        self.system._settled[msg.order] = msg.state
        for handle in list(client.pending.values()):
            if handle.operation.key == msg.order:
                outcome = {"completed": "ok", "compensated": "fail"}.get(msg.state, "info")
                client.finish(handle, outcome, value=msg.state, node=src,
                              error=None if outcome == "ok" else f"{msg.state}: {msg.reason}")

    def on_finish(self, client, handle) -> None:
        pass


class Choreography(TxnSystem):
    """The shop's order saga by choreography (see the module docstring).

    Args:
        seed, latency, world, trace: as for every system.
        compensation_retries, retry_ms: a failing compensation is retried this often, then
            ``CompensationFailed`` is published.
        transport: ``"direct"`` (messages between the services, at most once) or ``"bus"``
            (a Kafka-like log, at least once: :mod:`caplab.txn.choreography_bus`; its
            :class:`~caplab.txn.choreography_bus.BusTransport` is ``bus``).
        initial: rows to set over the shop's own.

    Raises:
        ConfigError / UnknownNameError: a bad value, named; nothing is built.

    Example:
        >>> c = Choreography(seed=1)
        >>> c.place_order("o1").ok
        True
    """

    def __init__(self, *, seed: int = 0, compensation_retries: int = 3, retry_ms: int = 50,
                 latency=1, world=None, trace: bool = True, initial=None,
                 transport: str = "direct") -> None:
        dom = self._domain("shop", initial)
        check_positive_ms("compensation_retries", compensation_retries, unit="")
        check_positive_ms("retry_ms", retry_ms)
        if transport not in TRANSPORTS:
            raise UnknownNameError("transport", transport, TRANSPORTS)
        self._setup_world(world, seed, latency, trace, dom.services)
        self.domain = dom
        self._dead: list = []
        self._settled: dict = {}
        self.services = {}
        for stage, (name, _, _) in enumerate(CHAIN):
            self.services[name] = ChoreoService(name, dom, self._sequencer, stage=stage,
                                                retries=compensation_retries,
                                                retry_ms=retry_ms, dead_letters=self._dead)
            self.world.add_node(self.services[name])
        self.driver = _Driver(self)
        self.transport = transport
        self.bus = None
        if transport == "bus":
            from .choreography_bus import BusTransport
            self.bus = BusTransport(self.world, self.services)

    @property
    def nodes(self) -> list[str]:
        return list(self.services)

    @property
    def dead_letters(self) -> list:
        return list(self._dead)

    def place_order(self, order: str, *, customer: str = "alice", item: str = "apple",
                    qty: int = 1, amount: int = 10):
        """Place an order and wait until the services settle it (``ok``: approved)."""
        order = self._new_id("o", order)
        args = {"order": order, "customer": customer, "item": item, "qty": qty,
                "amount": amount}
        check_quantities(f"order {order}", args)
        handle = self._default_client().invoke("order", order, args, {})
        self._used.add(order)
        return handle.client.wait(handle)

    @property
    def records(self) -> dict:
        """order -> a saga-like view (steps, state) for the checker."""
        out = {}
        for op in self.world.history.ops:
            if op.op != "order":
                continue             # the bus's own clients' polls and commits
            steps = tuple(Step(s, a, op.input, c) for s, a, c in CHAIN)
            out[op.key] = _OrderView(op.key, steps, self._settled.get(op.key, "running"))
        return out

    def describe(self) -> Description:
        return Description(system="txn", mode="choreography",
                           title="order saga by choreography: " + " -> ".join(self.services),
                           roles={"service": Role("service", "#009E73")}, layout="ring")
