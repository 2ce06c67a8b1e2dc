"""The transport events travel on, as a small interface, and one implementation: a log node.

:class:`Transport` is what the services and projections depend on: ``publish(producer, topic,
key, payload, on_ack)`` and ``subscribe(consumer, group, topic, handler)``, with at-least-once
delivery: a record may arrive more than once (a lost acknowledgement, a consumer that crashed
after applying a record and before committing its offset) and, with ``reorder_p``, out of
order. :class:`LogTransport` is the fast default; the replicated Kafka-like log of
``caplab.bus.kafka`` plugs into the same interface through
:class:`~caplab.events.kafka.KafkaTransport` (``EventShop(bus="kafka")``).

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
    """What events travel on: publish and subscribe, at-least-once.

    The transport keeps its own per-endpoint state (subscriptions: configuration that survives
    a crash; acknowledgements and positions: volatile), and handles its own messages: an
    endpoint using it inherits :class:`TransportClient`, which hands them over.
    """

    def publish(self, producer, topic: str, key: str, payload: str, on_ack=None) -> None:
        """Send ``payload`` on ``topic``; ``on_ack(position)`` when the transport has it."""
        raise NotImplementedError

    def subscribe(self, consumer, group: str, topic: str, handler) -> None:
        """Call ``handler(payload)`` for each record of ``topic`` (maybe twice, maybe late)."""
        raise NotImplementedError

    def unsubscribe(self, consumer, group: str, topic: str) -> None:
        """Stop delivering ``topic`` to ``consumer`` as ``group``."""
        raise NotImplementedError

    def start(self, endpoint) -> None:
        """(Re)start an endpoint's consuming after it was built or restarted."""

    def reset(self, endpoint) -> None:
        """Forget an endpoint's volatile transport state (it crashed)."""

    def receive(self, endpoint, msg, src: str) -> bool:
        """Handle a transport message for ``endpoint``; False if it is not one."""
        return False

    def backlog(self, endpoint) -> int:
        """Records of its subscriptions that ``endpoint`` has not yet committed."""
        raise NotImplementedError

    def topics(self) -> list[str]:
        """The topics that have records, sorted."""
        raise NotImplementedError

    def records(self, topic: str) -> list:
        """Every record ``(offset, key, payload)`` of ``topic`` (what a replay reads)."""
        raise NotImplementedError


class TransportClient:
    """Mixin for an endpoint with a ``transport``: hands it the transport's messages and
    tells it about crashes."""

    def receive(self, msg, src: str) -> None:
        if not self.transport.receive(self, msg, src):
            super().receive(msg, src)

    def on_crash(self) -> None:
        self.transport.reset(self)


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
        self.nodes = [name]
        self._states: dict[str, dict] = {}
        world.add_node(self.node)

    # -- per-endpoint state ------------------------------------------------------------
    def _state(self, endpoint) -> dict:
        st = self._states.get(endpoint.name)
        if st is None:
            st = self._states[endpoint.name] = {"subs": {}, "req": 0}
            self.reset(endpoint)
        return st

    def reset(self, endpoint) -> None:
        st = self._state(endpoint)
        st["acks"] = {}          # volatile: a crash loses them
        st["positions"] = {}     # None / missing: resume from the committed offset
        st["fetching"] = {}      # one fetch in flight per partition, since when

    # -- the interface -------------------------------------------------------------------
    def publish(self, producer, topic, key, payload, on_ack=None) -> None:
        st = self._state(producer)
        st["req"] += 1
        if on_ack is not None:
            st["acks"][st["req"]] = on_ack
        producer.send(self.node.name, Append(st["req"], topic, key, payload))

    def subscribe(self, consumer, group, topic, handler) -> None:
        self._state(consumer)["subs"][(group, topic)] = handler

    def unsubscribe(self, consumer, group, topic) -> None:
        st = self._state(consumer)
        st["subs"].pop((group, topic), None)
        for key in [k for k in st["positions"] if k[:2] == (group, topic)]:
            del st["positions"][key]

    def start(self, endpoint) -> None:
        endpoint.set_timer(self.poll_ms, self._poll, endpoint, daemon=True)

    def receive(self, endpoint, msg, src) -> bool:
        if isinstance(msg, Appended):
            on_ack = self._state(endpoint)["acks"].pop(msg.req, None)
            if on_ack is not None:
                on_ack((msg.topic, msg.partition, msg.offset))
            return True
        if isinstance(msg, Records):
            self._deliver(endpoint, msg)
            return True
        return False

    def backlog(self, endpoint) -> int:
        node = self.node
        return sum(max(0, len(part) - node.committed.get((group, topic, p), 0))
                   for group, topic in self._state(endpoint)["subs"]
                   for p, part in enumerate(node.log(topic)))

    # -- consuming -----------------------------------------------------------------------
    def _deliver(self, endpoint, msg: Records) -> None:
        st = self._state(endpoint)
        key = (msg.group, msg.topic, msg.partition)
        st["fetching"].pop(key, None)
        handler = st["subs"].get((msg.group, msg.topic))
        if handler is None or not endpoint.up:
            return
        for _offset, _key, payload in msg.records:
            handler(payload)
            if not endpoint.up:     # a crash point inside the handler: commit nothing
                return
        st["positions"][key] = msg.next_offset
        endpoint.send(self.node.name, CommitOffset(*key, msg.next_offset))

    def _poll(self, endpoint) -> None:
        st = self._state(endpoint)
        for group, topic in list(st["subs"]):
            for p in range(self.node.partitions):
                key = (group, topic, p)
                since = st["fetching"].get(key)
                if since is not None and endpoint.now - since < 5 * self.poll_ms:
                    continue        # one fetch in flight per partition; retry if lost
                st["fetching"][key] = endpoint.now
                endpoint.send(self.node.name, Fetch(group, topic, p, st["positions"].get(key)))
        endpoint.set_timer(self.poll_ms, self._poll, endpoint, daemon=True)

    def topics(self) -> list[str]:
        return sorted(self.node.topics)

    def records(self, topic: str) -> list:
        """Every record of ``topic``, partition by partition (what a replay reads)."""
        return [rec for part in self.node.log(topic) for rec in part]
