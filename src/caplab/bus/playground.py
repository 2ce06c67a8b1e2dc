"""A bus to play with: one of the three buses carrying order events to a billing group, with the
operator's actions a panel needs (start, stop and crash consumers; crash and restart a broker;
change ``acks`` and auto-commit on Kafka, automatic acknowledgement on RabbitMQ; produce a
burst; run for a while) and live counters from the checkers of :mod:`caplab.bus.check`.

The buses are set up as in :mod:`caplab.bus.orders`: a Kafka-like log of 3 brokers with a
3-partition topic, a RabbitMQ-like broker of 3 nodes with a quorum queue, 3 NATS-like servers
with a queue group. Everything here is plain data; :func:`caplab.viz.bus.bus_view` draws
:meth:`BusPlayground.snapshot`.

Example:
    >>> p = BusPlayground("kafka", seed=1)
    >>> p.produce_burst(6); p.run_for(300)
    >>> p.counters()["delivered"]
    6
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError, check_flag
from .check import check_duplicated, check_lost, check_reordered
from .kafka import KafkaLog
from .kafka.options import check_acks
from .nats import Nats
from .orders import GROUP, TOPIC, normalise, order_events
from .rabbit import Broker

__all__ = ["BusPlayground", "PLAYGROUND_BUSES", "SETTINGS"]

#: the buses a playground can be
PLAYGROUND_BUSES = ("kafka", "rabbit", "nats")
#: each bus's settings and their defaults (Kafka 3.0+: acks=all; consumers commit after
#: processing unless auto_commit; RabbitMQ: manual acknowledgement unless auto_ack)
SETTINGS = {"kafka": {"acks": "all", "auto_commit": False}, "rabbit": {"auto_ack": False},
            "nats": {}}
#: how many orders the event stream cycles through (three events each)
ORDERS = 50


#: how long a Kafka consumer spends on a batch (between the poll and the next step)
PROCESS_MS = 20


def _commit_after(c) -> None:
    """A Kafka consumer that commits after processing: poll, process (``PROCESS_MS``), commit,
    poll again; a crash while processing leaves the batch uncommitted (delivered again)."""
    def step():
        c.poll_async().on_done(polled)

    def polled(result):
        if c.up and result.ok and result.value:
            c.set_timer(PROCESS_MS, lambda: c.commit_async().on_done(
                lambda _: c.up and c.set_timer(10, step)))
        elif c.up:
            c.set_timer(10, step)
    c.set_timer(10, step)


class BusPlayground:
    """One bus, a shop producing order events and a billing group of consumers.

    Args:
        bus: ``"kafka"``, ``"rabbit"`` or ``"nats"``.
        seed: the one seed. consumers: how many consumers to start with.

    Raises:
        UnknownNameError: an unknown bus. ConfigError: a bad number of consumers.
    """

    def __init__(self, bus: str = "kafka", *, seed: int = 1, consumers: int = 2) -> None:
        if bus not in PLAYGROUND_BUSES:
            raise UnknownNameError("bus", bus, list(PLAYGROUND_BUSES))
        if isinstance(consumers, bool) or not isinstance(consumers, int) or \
                not 0 <= consumers <= 6:
            raise ConfigError(f"consumers must be a whole number from 0 to 6, got {consumers!r}")
        self.bus, self.seed = bus, seed
        self.settings = dict(SETTINGS[bus])
        self.stream = order_events(ORDERS)
        self.events: dict = {}           # message id -> (order id, (event, amount))
        self.consumers: dict = {}        # name -> client (running or crashed)
        self._subs: dict = {}            # NATS consumer -> subscription id
        self._started = 0
        if bus == "kafka":
            self.system = KafkaLog(brokers=3, seed=seed)
            self.system.create_topic(TOPIC, partitions=3)
            self.shop = self.system.producer("shop", near="b1")
        elif bus == "rabbit":
            self.system = Broker(nodes=3, seed=seed)
            self.system.declare_queue(GROUP, type="quorum")
            self.shop = self.system.publisher("shop", near="r2")
        else:
            self.system = Nats(servers=3, seed=seed)
            self.shop = self.system.client("shop", near="s2")
        for _ in range(consumers):
            self.start_consumer()
        self.system.run_for(150)        # groups formed, subscriptions known

    # -- what there is ---------------------------------------------------------------------------
    @property
    def brokers(self) -> list:
        """The broker nodes (the faults' targets)."""
        names = {"kafka": lambda s: list(s.brokers), "rabbit": lambda s: list(s.nodes),
                 "nats": lambda s: list(s.servers)}
        return names[self.bus](self.system)

    @property
    def now(self) -> int:
        return self.system.now

    def roles(self) -> dict:
        """name -> ``up`` / ``down`` for brokers and consumers."""
        net = self.system.world.network.endpoints
        return {n: "up" if net[n].up else "down" for n in self.brokers + list(self.consumers)}

    # -- actions ----------------------------------------------------------------------------------
    def start_consumer(self) -> str:
        """Start one more consumer of the billing group; returns its name (``c1``, ``c2`` ...).

        Kafka consumers poll every 10 ms and commit after processing (or, with auto_commit,
        before); RabbitMQ consumers have prefetch 10 and take 2 ms per message.
        """
        self._started += 1
        name = f"c{self._started}"
        near = self.brokers[self._started % len(self.brokers)]
        if self.bus == "kafka":
            auto = self.settings["auto_commit"]
            c = self.system.consumer(name, GROUP, TOPIC, near=near, auto_commit=auto,
                                     process_ms=PROCESS_MS if auto else 0)
            if auto:
                c.run_loop(10)        # commit, then process for PROCESS_MS: at-most-once
            else:
                _commit_after(c)
        elif self.bus == "rabbit":
            c = self.system.consumer(name, GROUP, near=near, prefetch=10, process_ms=2,
                                     auto_ack=self.settings["auto_ack"])
        else:
            c = self.system.client(name, near=near)
            self._subs[name] = c.subscribe("orders.>", queue=GROUP)
        self.consumers[name] = c
        return name

    def _consumer(self, name: str):
        if name not in self.consumers:
            raise UnknownNameError("consumer", name, sorted(self.consumers))
        return self.consumers[name]

    def stop_consumer(self, name: str) -> None:
        """Stop ``name`` cleanly (Kafka: leave the group; RabbitMQ: close the channel, so the
        broker requeues what it had not acknowledged; NATS: unsubscribe).

        Raises:
            UnknownNameError: no such consumer. ConfigError: it is crashed.
        """
        c = self._consumer(name)
        if not c.up:
            raise ConfigError(f"consumer {name!r} is down; restart it before stopping it")
        if self.bus == "nats":
            c.unsubscribe(self._subs.pop(name))
        else:
            c.close()
        del self.consumers[name]

    def crash_consumer(self, name: str) -> None:
        """Crash ``name`` (what it fetched and did not commit or acknowledge is at stake)."""
        c = self._consumer(name)
        if not c.up:
            raise ConfigError(f"consumer {name!r} is already down")
        c.crash() if self.bus != "kafka" else self.system.crash(name)

    def restart_consumer(self, name: str) -> None:
        """Restart a crashed consumer: it rejoins the group (Kafka) or subscribes again."""
        c = self._consumer(name)
        if c.up:
            raise ConfigError(f"consumer {name!r} is not down")
        c.restart() if self.bus != "kafka" else self.system.restart(name)
        if self.bus == "kafka" and not c.auto_commit:
            _commit_after(c)

    def crash_broker(self, name: str) -> None:
        """Crash broker ``name``. Raises UnknownNameError for a name not among :attr:`brokers`."""
        if name not in self.brokers:
            raise UnknownNameError("broker", name, self.brokers)
        self.system.crash(name)

    def restart_broker(self, name: str) -> None:
        """Restart a crashed broker."""
        if name not in self.brokers:
            raise UnknownNameError("broker", name, self.brokers)
        self.system.restart(name)

    def set_option(self, name: str, value) -> None:
        """Change a setting: Kafka ``acks`` (next produces) or ``auto_commit`` (consumers
        started from now on); RabbitMQ ``auto_ack`` (consumers started from now on).

        Raises:
            UnknownNameError: a setting this bus does not have. ConfigError: a bad value.
        """
        if name not in self.settings:
            raise UnknownNameError(f"{self.bus} setting", name, sorted(self.settings))
        if name == "acks":
            value = check_acks(value)
        else:
            check_flag(name, value)
        self.settings[name] = value

    def produce_burst(self, n: int = 10) -> list:
        """Publish the next ``n`` order events at once; returns their message ids.

        Raises:
            ConfigError: n not in 1..500.
        """
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 500:
            raise ConfigError(f"a burst is 1 to 500 events, got {n!r}")
        ids = []
        for _ in range(n):
            key, value = self.stream[len(self.events) % len(self.stream)]
            mid = f"shop-{len(self.events) + 1}"
            self.events[mid] = (key, value)
            if self.bus == "kafka":
                self.shop.produce_async(TOPIC, value, key=key, acks=self.settings["acks"])
            elif self.bus == "rabbit":
                self.shop.publish_async("", GROUP, value, persistent=True, message_id=mid)
            else:
                self.shop.publish_async(f"orders.{key}.{value[0]}", value, message_id=mid)
            ids.append(mid)
        return ids

    def run_for(self, ms: int) -> None:
        """Run the simulation ``ms`` milliseconds."""
        self.system.run_for(ms)

    # -- what happened ------------------------------------------------------------------------
    def history(self):
        """The history in the checkers' shape (topic ``orders``, group ``billing``)."""
        if self.bus == "kafka":
            return self.system.history
        delivery = "consume" if self.bus == "rabbit" else "receive"
        return normalise(self.system.history, self.events, {"publish"}, delivery)

    def counters(self) -> dict:
        """Live counts: ``published``, ``acknowledged``, ``delivered`` (distinct), ``lost``
        (acknowledged, not delivered so far: lost if it stays so), ``duplicated``,
        ``reordered`` (per order id)."""
        h = self.history()
        produced = [op for op in h if op.op == "produce"]
        lost = check_lost(h, TOPIC, GROUP)
        return {"published": len(self.events),
                "acknowledged": sum(op.outcome == "ok" for op in produced),
                "delivered": lost.details["delivered"], "lost": lost.details["count"],
                "duplicated": check_duplicated(h, TOPIC, GROUP).details["count"],
                "reordered": check_reordered(h, TOPIC, GROUP, by="key").details["count"]}

    def snapshot(self) -> dict:
        """Plain data for :func:`caplab.viz.bus.bus_view`: ``kind`` (the bus), ``time_ms``,
        ``roles`` and ``data`` (Kafka: ``KafkaLog.snapshot()``; RabbitMQ:
        ``Broker.topology_records()``; NATS: ``Nats.subscription_records()``)."""
        data = {"kafka": lambda s: s.snapshot(), "rabbit": lambda s: s.topology_records(),
                "nats": lambda s: s.subscription_records()}[self.bus](self.system)
        return {"kind": self.bus, "time_ms": self.now, "roles": self.roles(), "topic": TOPIC,
                "data": data}

    def __repr__(self) -> str:
        return f"<BusPlayground {self.bus} consumers={sorted(self.consumers)} now={self.now} ms>"
