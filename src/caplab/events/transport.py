"""The transport events travel on, as a small interface, and one implementation: a log node.

:class:`Transport` is what the services and projections depend on: ``publish(producer, topic,
key, payload, on_ack)`` and ``subscribe(consumer, group, topic, handler)``, with at-least-once
delivery: a record may arrive more than once (a lost acknowledgement, a consumer that crashed
after applying a record and before committing its offset) and, with ``reorder_p``, out of
order. The Kafka-like log, RabbitMQ- and NATS-like brokers of ``caplab.bus`` plug into the same
interface when they land; until then :class:`LogTransport` is the stand-in.

:class:`LogNode` is a replicated-nothing event log: one endpoint that keeps, per topic, a few
partitions (append-only lists of records, the partition chosen by a hash of the key: Kafka
"same key, same partition; order only within a partition") and, per consumer group, a committed
offset per partition. Both are durable (a crash makes the node unreachable, it loses nothing).
Consumers pull with ``Fetch`` from their position and commit after processing: Kafka's "commit
after processing = at-least-once". Nothing is replicated: while the node is down or cut off,
nothing is published or consumed.

Example:
    >>> from caplab.world import World
    >>> w = World(seed=1)
    >>> t = LogTransport(w, "log")
    >>> t.node.name
    'log'
"""

from __future__ import annotations

import zlib

from ..errors import ConfigError, check_probability
from ..net.endpoint import Endpoint
from ..net.message import message

__all__ = ["Transport", "LogTransport", "LogNode", "TransportClient", "Append", "Appended",
           "Fetch", "Records", "CommitOffset"]


@message
class Append:
    req: int
    topic: str
    key: str
    payload: str


@message
class Appended:
    req: int
    topic: str
    partition: int
    offset: int


@message
class Fetch:
    """``offset`` None: start from the group's committed offset (after a restart)."""
    group: str
    topic: str
    partition: int
    offset: int | None


@message
class Records:
    group: str
    topic: str
    partition: int
    records: tuple      # ((offset, key, payload), ...)
    next_offset: int


@message
class CommitOffset:
    group: str
    topic: str
    partition: int
    offset: int


class Transport:
    """What events travel on: publish and subscribe, at-least-once."""

    def publish(self, producer, topic: str, key: str, payload: str, on_ack=None) -> None:
        """Send ``payload`` on ``topic``; ``on_ack(position)`` when the transport has it."""
        raise NotImplementedError

    def subscribe(self, consumer, group: str, topic: str, handler) -> None:
        """Call ``handler(payload)`` for each record of ``topic`` (maybe twice, maybe late)."""
        raise NotImplementedError

    def start(self, endpoint) -> None:
        """(Re)start an endpoint's consuming after it was built or restarted."""


class LogNode(Endpoint):
    """The log: per-topic partitions and per-group committed offsets, both durable."""

    def __init__(self, name: str, partitions: int, duplicate_p: float, reorder_p: float,
                 max_batch: int) -> None:
        super().__init__(name)
        self.partitions = partitions
        self.duplicate_p = duplicate_p
        self.reorder_p = reorder_p
        self.max_batch = max_batch
        self.topics: dict[str, list[list]] = {}        # durable
        self.committed: dict[tuple, int] = {}          # durable: (group, topic, p) -> offset

    def partition_of(self, key: str) -> int:
        """Kafka's default partitioner hashes the key (murmur2; crc32 here)."""
        return zlib.crc32(key.encode()) % self.partitions

    def log(self, topic: str) -> list[list]:
        return self.topics.setdefault(topic, [[] for _ in range(self.partitions)])

    def handle_append(self, msg: Append, src: str) -> None:
        p = self.partition_of(msg.key)
        part = self.log(msg.topic)[p]
        part.append((len(part), msg.key, msg.payload))
        self.send(src, Appended(msg.req, msg.topic, p, len(part) - 1))

    def handle_fetch(self, msg: Fetch, src: str) -> None:
        part = self.log(msg.topic)[msg.partition]
        start = msg.offset
        if start is None:
            start = self.committed.get((msg.group, msg.topic, msg.partition), 0)
        batch = list(part[start:start + self.max_batch])
        batch = self._disorder(batch)
        self.send(src, Records(msg.group, msg.topic, msg.partition, tuple(batch),
                               start + min(self.max_batch, len(part) - start)))

    def _disorder(self, batch: list) -> list:
        # A test knob, not Kafka: duplicate and reorder delivery as other buses may.
        if not batch or (self.duplicate_p == 0 and self.reorder_p == 0):
            return batch
        rng = self.rng("disorder")
        out = []
        for rec in batch:
            out.append(rec)
            if rng.random() < self.duplicate_p:
                out.append(rec)
        for i in range(len(out) - 1):
            if rng.random() < self.reorder_p:
                out[i], out[i + 1] = out[i + 1], out[i]
        return out

    def handle_commit_offset(self, msg: CommitOffset, src: str) -> None:
        key = (msg.group, msg.topic, msg.partition)
        self.committed[key] = max(self.committed.get(key, 0), msg.offset)


class TransportClient:
    """Mixin for an endpoint that publishes to or consumes from a :class:`LogTransport`."""

    def _transport_reset(self) -> None:
        self._acks: dict[int, object] = {}      # volatile: lost in a crash
        self._positions: dict[tuple, int | None] = {}
        self._fetching: dict[tuple, int] = {}   # fetch in flight since (one at a time)
        self._next_req = getattr(self, "_next_req", 0)

    def handle_appended(self, msg: Appended, src: str) -> None:
        on_ack = self._acks.pop(msg.req, None)
        if on_ack is not None:
            on_ack((msg.topic, msg.partition, msg.offset))

    def handle_records(self, msg: Records, src: str) -> None:
        key = (msg.group, msg.topic, msg.partition)
        self._fetching.pop(key, None)
        sub = self._subscriptions.get((msg.group, msg.topic))
        if sub is None or not self.up:
            return
        for offset, _key, payload in msg.records:
            sub(payload)
            if not self.up:         # a crash point inside the handler: stop, commit nothing
                return
        self._positions[key] = msg.next_offset
        self.send(self.transport.node.name, CommitOffset(*key, msg.next_offset))


class LogTransport(Transport):
    """The log node on a world, and the client side of publish and subscribe.

    Args:
        world: the world to put the log node on.
        name: the log node's name.
        partitions: partitions per topic.
        poll_ms: how often a consumer fetches.
        duplicate_p, reorder_p: chance a fetched record is delivered twice / swapped with the
            next one (test knobs standing for at-least-once buses).
        max_batch: records per fetch.
    Raises:
        ConfigError: a bad count or probability, named.
    """

    def __init__(self, world, name: str = "log", *, partitions: int = 2, poll_ms: int = 10,
                 duplicate_p: float = 0.0, reorder_p: float = 0.0, max_batch: int = 20) -> None:
        for what, v in (("partitions", partitions), ("poll_ms", poll_ms),
                        ("max_batch", max_batch)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"{what} must be a whole number >= 1, got {v!r}")
        check_probability("duplicate_p", duplicate_p)
        check_probability("reorder_p", reorder_p)
        self.world = world
        self.poll_ms = poll_ms
        self.node = LogNode(name, partitions, duplicate_p, reorder_p, max_batch)
        world.add_node(self.node)

    def publish(self, producer, topic, key, payload, on_ack=None) -> None:
        producer._next_req += 1
        if on_ack is not None:
            producer._acks[producer._next_req] = on_ack
        producer.send(self.node.name, Append(producer._next_req, topic, key, payload))

    def subscribe(self, consumer, group, topic, handler) -> None:
        consumer._subscriptions[(group, topic)] = handler

    def start(self, endpoint) -> None:
        endpoint.set_timer(self.poll_ms, self._poll, endpoint, daemon=True)

    def _poll(self, endpoint) -> None:
        for group, topic in endpoint._subscriptions:
            for p in range(self.node.partitions):
                key = (group, topic, p)
                since = endpoint._fetching.get(key)
                if since is not None and endpoint.now - since < 5 * self.poll_ms:
                    continue        # one fetch in flight per partition; retry if lost
                endpoint._fetching[key] = endpoint.now
                offset = endpoint._positions.get(key)
                endpoint.send(self.node.name, Fetch(group, topic, p, offset))
        endpoint.set_timer(self.poll_ms, self._poll, endpoint, daemon=True)

    def records(self, topic: str) -> list:
        """Every record of ``topic``, partition by partition (what a replay reads)."""
        return [rec for part in self.node.log(topic) for rec in part]
