"""The order-events workload, the same on every bus: a shop publishes three events per order
(created, paid, shipped), keyed by the order id, to one consumer group (Kafka), one queue
(RabbitMQ), one queue group (core NATS) or one durable consumer (a JetStream-like stream);
a billing consumer applies each payment to a revenue balance. Two faults hit every bus at the
same simulated times: consumer ``c1`` dies right after processing a message and before
acknowledging (or committing) it, and comes back ``down_ms`` later; then broker node 1 (``b1``,
``r1``, ``s1``) crashes and restarts.

Each run's history is rewritten in the one shape the checkers of :mod:`caplab.bus.check` read
(``produce`` with ``((key, value, msg_id),)`` and ``poll`` with ``((partition, offset, msg_id,
key, value),)`` for the group ``billing``), so one set of checkers judges all four buses.

Example:
    >>> run = run_orders("kafka", seed=1, orders=4)
    >>> sorted(run.verdicts)
    ['duplicated', 'effect', 'lost', 'reordered']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UnknownNameError
from ..history.record import History
from .check import check_duplicated, check_effect, check_lost, check_reordered
from .kafka import KafkaLog
from .nats import Nats
from .rabbit import Broker

__all__ = ["BUSES", "EVENTS", "Faults", "OrdersRun", "order_events", "run_orders", "normalise"]

#: the buses, in the order tables show them
BUSES = ("kafka", "rabbit", "nats", "jetstream")
#: the events of one order, in the order the shop publishes them
EVENTS = ("created", "paid", "shipped")
TOPIC, GROUP = "orders", "billing"


@dataclass(frozen=True)
class Faults:
    """When the two faults strike (simulated ms) and how long each victim stays down."""

    consumer_crash_ms: int = 300
    consumer_down_ms: int = 400
    broker_crash_ms: int = 420
    broker_down_ms: int = 500


@dataclass(frozen=True)
class OrdersRun:
    """One bus's run: its checker verdicts (``lost``, ``duplicated``, ``reordered``,
    ``effect``: :class:`~caplab.history.result.CheckResult`), how many events the producer
    was told were accepted, and the bus itself (for views)."""

    bus: str
    published: int
    acknowledged: int
    verdicts: dict
    history: History = field(repr=False, compare=False)
    system: Any = field(repr=False, compare=False)


def order_events(orders: int) -> list:
    """The shop's events ``[(order id, (event, amount))]``: orders start one after another and
    their events interleave (o1 created, o2 created, o1 paid, ...); ``paid`` carries the order's
    amount (10 + the order number), the others 0.

    Example:
        >>> order_events(2)[:3]
        [('o1', ('created', 0)), ('o2', ('created', 0)), ('o1', ('paid', 11))]
    """
    out = [(f"o{n}", (event, 10 + n if event == "paid" else 0))
           for n in range(1, orders + 1) for event in EVENTS]
    # order n's i-th event goes out at step n + i: o1 created, o2 created, o1 paid, ...
    return sorted(out, key=lambda e: (int(e[0][1:]) + EVENTS.index(e[1][0]),
                                      EVENTS.index(e[1][0])))


class _Plan:
    """What every bus shares: the events' schedule and the consumer fault's trigger."""

    def __init__(self, world, orders: int, faults: Faults, gap_ms: int, start_ms: int):
        self.world, self.faults = world, faults
        self.events = order_events(orders)
        self.times = [start_ms + i * gap_ms for i in range(len(self.events))]
        self.armed = False
        world.sim.schedule_at(faults.consumer_crash_ms, self._arm)

    def _arm(self) -> None:
        self.armed = True

    def publish_all(self, publish) -> None:
        for i, (t, (key, value)) in enumerate(zip(self.times, self.events), 1):
            self.world.sim.schedule_at(t, publish, f"shop-{i}", key, value)

    def maybe_crash(self, name: str, crash, restart) -> bool:
        """If the fault is armed and ``name`` is c1: crash it now, restart it later."""
        if not self.armed or name != "c1":
            return False
        self.armed = False
        crash()
        self.world.sim.schedule(self.faults.consumer_down_ms, restart)
        return True

    def broker_fault(self, crash, restart) -> None:
        self.world.sim.schedule_at(self.faults.broker_crash_ms, crash)
        self.world.sim.schedule_at(self.faults.broker_crash_ms + self.faults.broker_down_ms,
                                   restart)


# -- Kafka: a group of two that commits after processing ------------------------------------
def _kafka(seed, plan_args):
    log = KafkaLog(brokers=3, seed=seed)
    log.create_topic(TOPIC, partitions=3)
    plan = _Plan(log.world, *plan_args)
    shop = log.producer("shop", near="b2")
    plan.publish_all(lambda mid, key, value: shop.produce_async(TOPIC, value, key=key))
    consumers = [log.consumer("c1", GROUP, TOPIC, near="b3"),
                 log.consumer("c2", GROUP, TOPIC, near="b1")]

    def step(c):
        if c.up:
            c.poll_async().on_done(lambda r: polled(c, r))

    def polled(c, result):
        if not c.up:
            return
        if result.ok and result.value:
            if plan.maybe_crash(c.name, lambda: log.crash(c.name),
                                lambda: (log.restart(c.name), step(c))):
                return                        # processed, never committed
            c.commit_async().on_done(lambda _: c.set_timer(10, step, c))
        else:
            c.set_timer(10, step, c)

    for c in consumers:
        log.world.sim.schedule(0, step, c)
    plan.broker_fault(lambda: log.crash("b1"), lambda: log.restart("b1"))
    return log, log.history      # already in the checkers' shape


# -- RabbitMQ: a replicated (quorum) queue, manual acknowledgement ---------------------------
def _rabbit(seed, plan_args):
    b = Broker(nodes=3, seed=seed)
    b.declare_queue(GROUP, type="quorum")
    plan = _Plan(b.world, *plan_args)
    shop = b.publisher("shop", near="r2")
    plan.publish_all(lambda mid, key, value: shop.publish_async(
        "", GROUP, value, persistent=True, message_id=mid, headers={"order": key}))
    for name, near in (("c1", "r3"), ("c2", "r1")):
        _rabbit_consumer(b, plan, name, near)
    plan.broker_fault(lambda: b.crash("r1"), lambda: b.restart("r1"))
    return b, None


def _rabbit_consumer(b, plan, name, near):
    holder = {}

    def handler(env, redelivered):
        c = holder["c"]
        plan.maybe_crash(name, c.crash, c.restart)   # a dead consumer sends no ack
        return "ack"

    holder["c"] = b.consumer(name, GROUP, near=near, prefetch=10, process_ms=2,
                             handler=handler)


# -- NATS: core queue group, and a JetStream-like stream -------------------------------------
def _nats(seed, plan_args, *, jetstream: bool):
    n = Nats(servers=3, seed=seed)
    if jetstream:
        n.add_stream("ORDERS", ["orders.>"], server="s1")
    plan = _Plan(n.world, *plan_args)
    shop = n.client("shop", near="s2")
    send = shop.js_publish_async if jetstream else shop.publish_async
    plan.publish_all(lambda mid, key, value: send(f"orders.{key}.{value[0]}", value,
                                                  message_id=mid))
    members = (("c1", "s3"),) if jetstream else (("c1", "s3"), ("c2", "s1"))
    for name, near in members:
        c = n.client(name, near=near)
        if jetstream:
            c.consume("ORDERS", GROUP, handler=lambda s, d, m, k, c=c: (
                plan.maybe_crash(c.name, c.crash, c.restart), "ack")[1])
        else:
            c.subscribe("orders.>", queue=GROUP, handler=lambda s, d, m, c=c: (
                plan.maybe_crash(c.name, c.crash, c.restart), None)[1])
    plan.broker_fault(lambda: n.crash("s1"), lambda: n.restart("s1"))
    return n, None


# -- one history shape for the checkers -------------------------------------------------------
def normalise(world_history, events_by_id, produce_ops, delivery_op) -> History:
    """Rewrite a RabbitMQ or NATS history in the checkers' shape: publishes (ops in
    ``produce_ops``) as ``produce`` of topic ``orders``, processed deliveries (``delivery_op``)
    as ``poll`` of group ``billing``; ``events_by_id`` gives each message id's key and value.

    Example:
        >>> normalise([], {}, {"publish"}, "consume").records()
        []
    """
    h = History()
    for op in world_history:
        if op.op in produce_ops and op.outcome is not None:
            mid = op.input["id"]
            key, value = events_by_id[mid]
            new = h.invoke(op.client, "produce", TOPIC, ((key, value, mid),), op.invoke_ms)
            History.complete(new, op.outcome, op.complete_ms, output=(None, -1))
        elif op.op == delivery_op and op.outcome == "ok":
            mid = op.output
            key, value = events_by_id[mid]
            new = h.invoke(op.client, "poll", TOPIC, None, op.invoke_ms,
                           options={"group": GROUP})
            History.complete(new, "ok", op.complete_ms,
                             output=((None, None, mid, key, value),))
    return h


def run_orders(bus: str, *, seed: int = 1, orders: int = 12, faults: Faults = Faults(),
               gap_ms: int = 10, start_ms: int = 200, run_ms: int = 4000) -> OrdersRun:
    """Run the order-events workload on ``bus`` and check what the billing consumer got.

    Args:
        bus: ``"kafka"``, ``"rabbit"``, ``"nats"`` (core, a queue group) or ``"jetstream"``.
        seed: the one seed. orders: how many orders (three events each).
        faults: when the consumer and the broker crash, and for how long.
        gap_ms: between two events. start_ms: the first event. run_ms: how long to run.

    Returns:
        an :class:`OrdersRun` whose ``verdicts`` are the checkers' results: ``lost``
        (acknowledged, never delivered), ``duplicated``, ``reordered`` (per order id) and
        ``effect`` (the revenue balance against exactly-once).

    Raises:
        UnknownNameError: an unknown bus (the allowed ones are listed).

    Example:
        >>> run_orders("nats", seed=1, orders=4).verdicts["lost"].valid
        False
    """
    if bus not in BUSES:
        raise UnknownNameError("bus", bus, list(BUSES))
    plan_args = (orders, faults, gap_ms, start_ms)
    if bus == "kafka":
        system, history = _kafka(seed, plan_args)
    elif bus == "rabbit":
        system, history = _rabbit(seed, plan_args)
    else:
        system, history = _nats(seed, plan_args, jetstream=bus == "jetstream")
    system.run_for(run_ms)
    if history is None:
        ids = {f"shop-{i}": e for i, e in enumerate(order_events(orders), 1)}
        produce_ops = {"publish", "js_publish"} if bus == "jetstream" else {"publish"}
        delivery = "consume" if bus == "rabbit" else "receive"
        history = normalise(system.history, ids, produce_ops, delivery)
    produced = [op for op in history if op.op == "produce"]
    verdicts = {"lost": check_lost(history, TOPIC, GROUP),
                "duplicated": check_duplicated(history, TOPIC, GROUP),
                "reordered": check_reordered(history, TOPIC, GROUP, by="key"),
                "effect": check_effect(history, TOPIC, GROUP, amount=lambda v: v[1])}
    return OrdersRun(bus, len(produced), sum(op.outcome == "ok" for op in produced),
                     verdicts, history, system)
