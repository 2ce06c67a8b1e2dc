"""The event shop's transport over the Kafka-like replicated log of :mod:`caplab.bus.kafka`.

An adapter from the small :class:`~caplab.events.transport.Transport` interface to the log's
public API (``KafkaLog``, its ``Producer`` and ``Consumer`` clients): one topic per producing
service (a bounded context publishes its own facts), every record keyed by the aggregate (the
order id), so one order's events stay in one partition, in order (Kafka: "messages sent by a
producer to a particular topic partition will be appended in the order they are sent"). Each
service and each projection node consumes as its own consumer group, polls, calls its handler
for every record, and commits the positions only after processing them all: a consumer that
crashes before the commit gets the records again (Kafka's "at-least-once"), which the
idempotent consumers and the version-checking projections absorb.

Producers publish with ``acks="all"`` by default and topics are created with
``min.insync.replicas=2``: an acknowledged record is on every in-sync replica, so the outbox
relay marks a row sent only when the record survives the loss of its leader.

The clients of an endpoint are world clients placed next to it (they share its fate in a
partition); when the endpoint crashes the transport crashes them too (the same process), and
restarts them when it restarts (a consumer rejoins its group and resumes from the committed
offsets).

Example:
    >>> from caplab.events import EventShop
    >>> shop = EventShop(seed=1, bus="kafka")
    >>> sorted(shop.transport.nodes)
    ['b1', 'b2', 'b3', 'controller']
"""

from __future__ import annotations

from ..bus.kafka import KafkaLog
from ..errors import ConfigError
from .transport import Transport

__all__ = ["KafkaTransport"]


class KafkaTransport(Transport):
    """Publish and subscribe over a :class:`~caplab.bus.kafka.KafkaLog` on the shop's world.

    Args:
        world: the world to put the brokers and the controller on.
        brokers: how many brokers.
        partitions: partitions per topic.
        replication_factor: replicas per partition (default: min(3, brokers)).
        min_insync_replicas: Kafka's ``min.insync.replicas`` of every topic.
        acks: the producers' ``acks`` (0, 1 or "all").
        poll_ms: how long a consumer waits between polls.
    Raises:
        ConfigError: a bad count or option, named (checked by the log where it can be).
    """

    def __init__(self, world, *, brokers: int = 3, partitions: int = 2,
                 replication_factor: int | None = None, min_insync_replicas: int = 2,
                 acks="all", poll_ms: int = 10) -> None:
        if isinstance(poll_ms, bool) or not isinstance(poll_ms, int) or poll_ms < 1:
            raise ConfigError(f"poll_ms must be a whole number >= 1, got {poll_ms!r}")
        if acks not in (0, 1, "all"):
            raise ConfigError(f"acks must be one of [0, 1, 'all'], got {acks!r}")
        self.world = world
        self.log = KafkaLog(brokers=brokers, world=world)
        self.topic_options = {"partitions": partitions, "min_insync_replicas": min_insync_replicas,
                              "replication_factor": replication_factor}
        self.acks = acks
        self.poll_ms = poll_ms
        self.payloads: dict[str, tuple] = {}      # message id -> (key, payload)
        self._producers: dict[str, object] = {}
        self._consumers: dict[str, dict] = {}     # endpoint -> {(group, topic): [client, fn]}
        self._loops: dict[str, int] = {}          # consumer client -> its current poll loop

    @property
    def nodes(self) -> list[str]:
        """The log's nodes (controller and brokers): faults target them."""
        return list(self.log.nodes)

    @staticmethod
    def group_of(group: str, topic: str) -> str:
        """The log's consumer group for a subscriber's ``group`` on ``topic``: a group of the
        log follows one topic, and a service follows several, so it has one group per topic."""
        return f"{group}@{topic}"

    def _create(self, topic: str) -> None:
        if topic not in self.log.topics:
            self.log.create_topic(topic, **{k: v for k, v in self.topic_options.items()
                                            if v is not None})

    # -- producing -----------------------------------------------------------------------
    def publish(self, producer, topic, key, payload, on_ack=None) -> None:
        self._create(topic)
        client = self._producers.get(producer.name)
        if client is None:
            client = self._producers[producer.name] = self.log.producer(
                f"{producer.name}.producer", near=producer.name)
        if not client.up:
            return                  # the service is down: nothing leaves it
        handle = client.produce_async(topic, payload, key=key, acks=self.acks)
        # The batch is the operation's input, ((key, value, message id),): remember the
        # payload by id, so that records() can read the log's message ids back as events.
        for k, value, msg_id in handle.operation.input:
            self.payloads[msg_id] = (k, value)
        if on_ack is not None:
            handle.on_done(lambda r: on_ack((topic, *r.value)) if r.ok else None)

    # -- consuming -----------------------------------------------------------------------
    def subscribe(self, consumer, group, topic, handler) -> None:
        self._create(topic)
        subs = self._consumers.setdefault(consumer.name, {})
        if (group, topic) not in subs:
            subs[(group, topic)] = [None, handler]
            if consumer.name in self.world.network.endpoints and consumer.up:
                self.start(consumer)        # subscribed while running (a rebuild)

    def unsubscribe(self, consumer, group, topic) -> None:
        entry = self._consumers.get(consumer.name, {}).pop((group, topic), None)
        if entry is not None and entry[0] is not None:
            self._loops.pop(entry[0].name, None)
            entry[0].close()

    def _loop(self, endpoint, client, handler) -> None:
        """Start a new poll loop for ``client`` (an older one stops at its next step)."""
        token = self._loops[client.name] = self._loops.get(client.name, 0) + 1
        self._next(endpoint, client, handler, token)

    def _next(self, endpoint, client, handler, token) -> None:
        client.set_timer(self.poll_ms, self._poll, endpoint, client, handler, token,
                         daemon=True)

    def _poll(self, endpoint, client, handler, token) -> None:
        if self._loops.get(client.name) != token or not (endpoint.up and client.up):
            return
        if client.generation < 0:
            return self._next(endpoint, client, handler, token)    # not assigned yet
        client.poll_async().on_done(
            lambda r: self._polled(endpoint, client, handler, token, r))

    def _polled(self, endpoint, client, handler, token, result) -> None:
        if self._loops.get(client.name) != token or not (endpoint.up and client.up):
            return                  # crashed while polling: the next incarnation resumes
        records = result.value if result.ok else ()
        for _p, _offset, _msg_id, _key, value in records:
            handler(value)
            if not endpoint.up:     # a crash point inside the handler: commit nothing
                return
        if records:
            # Commit after processing (Kafka: at-least-once).
            client.commit_async().on_done(
                lambda r: self._next(endpoint, client, handler, token) if client.up else None)
        else:
            self._next(endpoint, client, handler, token)

    # -- crashes -------------------------------------------------------------------------
    def _clients(self, endpoint) -> list:
        subs = self._consumers.get(endpoint.name, {})
        out = [c for c, _h in subs.values() if c is not None]
        if endpoint.name in self._producers:
            out.append(self._producers[endpoint.name])
        return out

    def reset(self, endpoint) -> None:
        """The endpoint crashed: its clients (the same process) crash with it."""
        for client in self._clients(endpoint):
            if client.up:
                self.world.network.crash(client.name)

    def start(self, endpoint) -> None:
        """(Re)start the endpoint's clients; consumers rejoin and poll again."""
        for client in self._clients(endpoint):
            if not client.up:
                self.world.network.restart(client.name)
        for (group, topic), entry in self._consumers.get(endpoint.name, {}).items():
            if entry[0] is None:        # clients sit next to the endpoint: made once it is on
                entry[0] = self.log.consumer(f"{endpoint.name}.{group}.{topic}",
                                             self.group_of(group, topic), topic,
                                             near=endpoint.name)
            self._loop(endpoint, *entry)

    # -- reading the log -----------------------------------------------------------------
    def backlog(self, endpoint) -> int:
        total = 0
        for group, topic in self._consumers.get(endpoint.name, {}):
            committed = self.log.committed(self.group_of(group, topic))
            total += sum(max(0, self.log.high_watermark(topic, p) - committed.get(p, 0))
                         for p in range(self.log.topic_options(topic)["partitions"]))
        return total

    def topics(self) -> list[str]:
        # A topic has records when a partition's high watermark is past 0 (no need to read
        # them all, as records() does).
        return [t for t in self.log.topics
                if any(self.log.high_watermark(t, p)
                       for p in range(self.log.topic_options(t)["partitions"]))]

    def records(self, topic: str) -> list:
        """Every committed record ``(offset, key, payload)`` of ``topic``, partition by
        partition, read from each partition's leader up to its high watermark."""
        if topic not in self.log.topics:
            return []
        out = []
        for p in range(self.log.topic_options(topic)["partitions"]):
            leader = self.log.leader(topic, p)
            if leader is None:
                continue
            ids = self.log.log_of(leader, topic, p)[:self.log.high_watermark(topic, p)]
            out += [(i, *self.payloads[m]) for i, m in enumerate(ids)]
        return out
