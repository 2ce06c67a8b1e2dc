"""The ``KafkaLog`` facade: a Kafka-like replicated log as a system on a world.

Brokers ``b1`` .. ``bN`` hold partition replicas; one ``controller`` node elects leaders, keeps
each partition's ISR and coordinates consumer groups (see :mod:`.controller` for the design);
producers and consumers are world clients whose operations land in ``log.history``. Brokers
(and the controller) crash, restart and get partitioned through the world's faults.
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError, check_flag
from ...net.latency import Uniform
from ...world.describe import Description, Option, Role, partition_presets
from ...world.system import System
from ...world.world import World
from .broker import Broker
from .clients import Consumer, Producer
from .controller import Controller
from .driver import KafkaDriver
from .options import PRODUCE_OPTIONS, check_log_options, check_topic_options, partition_for

__all__ = ["KafkaLog"]


class KafkaLog(System):
    """A Kafka-like log on a deterministic simulated network.

    Args:
        brokers: how many brokers (named ``b1`` .. ``bN``), 1 to 20.
        seed, latency, loss, op_timeout_ms, trace: the world's (see :class:`World`).
        world: stand on this world (shared with other systems) instead of a new one.
        **options: log options (see :data:`caplab.bus.kafka.options.LOG_OPTIONS`), e.g.
            ``unclean_leader_election=True``.

    Raises:
        ConfigError / UnknownNameError: a bad option, naming the value and the allowed ones.

    Example:
        >>> log = KafkaLog(brokers=3, seed=1)
        >>> log.create_topic("orders", partitions=2, min_insync_replicas=2)
        >>> log.producer("p").produce("orders", "paid", key="alice").ok
        True
    """

    def __init__(self, brokers: int = 3, *, seed: int = 0, latency=Uniform(1, 5),
                 loss: float = 0.0, op_timeout_ms: int = 2000, trace: bool = True,
                 world: World | None = None, **options) -> None:
        if isinstance(brokers, bool) or not isinstance(brokers, int) or not 1 <= brokers <= 20:
            raise ConfigError(f"brokers must be a whole number between 1 and 20, got {brokers!r}")
        self.options = check_log_options(options)
        names = [f"b{i}" for i in range(1, brokers + 1)]
        self.controller_name = "controller"
        if world is None:
            world = World(seed=seed, latency=latency, loss=loss, op_timeout_ms=op_timeout_ms,
                          trace=trace)
        taken = [n for n in names + [self.controller_name] if n in world.network.endpoints]
        if taken:
            raise ConfigError(f"node names {taken} are already in use in this world")
        self.world = world
        self.driver = KafkaDriver(self)
        self.controller = Controller(self.controller_name, names, self.options)
        self.brokers = {n: Broker(n, self.controller_name, self.options) for n in names}
        world.add_node(self.controller)
        for broker in self.brokers.values():
            world.add_node(broker)
        self.controller.start()
        for broker in self.brokers.values():
            broker.start()
        world.note(f"kafka log brokers={','.join(names)} seed={world.seed}")

    # -- membership ----------------------------------------------------------------------------
    @property
    def nodes(self) -> list[str]:
        """The controller and the brokers."""
        return [self.controller_name] + list(self.brokers)

    def _own_nodes(self) -> list[str]:
        return self.nodes

    def crash(self, name: str) -> None:
        """Crash a broker, the controller, or one of this log's producers and consumers.

        (The world crashes only nodes; a consumer that dies mid-poll is what at-least-once
        and at-most-once are about, so the log crashes its clients through the network.)
        """
        if name in self.world.clients and self.world.clients[name].system is self:
            return self.world.network.crash(name)
        self._require_node(name)
        self.world.crash(name)

    def restart(self, name: str) -> None:
        """Restart a crashed broker, controller or client (a consumer rejoins its group)."""
        if name in self.world.clients and self.world.clients[name].system is self:
            return self.world.network.restart(name)
        self._require_node(name)
        self.world.restart(name)

    # -- topics ----------------------------------------------------------------------------------
    def create_topic(self, name: str, *, partitions: int = 1, replication_factor=None,
                     min_insync_replicas: int = 1, retention_ms=None) -> None:
        """Create topic ``name``; replicas are assigned round robin over the brokers.

        Args:
            partitions: P >= 1. replication_factor: 1 .. brokers (default min(3, brokers)).
            min_insync_replicas: 1 .. replication_factor (Kafka default 1).
            retention_ms: delete records older than this (None: keep everything).

        Raises:
            ConfigError: a bad value or an existing topic; nothing is created.
        """
        given = {"partitions": partitions, "min_insync_replicas": min_insync_replicas,
                 "retention_ms": retention_ms}
        if replication_factor is not None:
            given["replication_factor"] = replication_factor
        options = check_topic_options(name, given, len(self.brokers))
        if name in self.controller.topics:
            raise ConfigError(f"topic {name!r} already exists")
        self.controller.create_topic(name, options)
        # Topic creation returns once every live broker knows its role (as Kafka's admin
        # client waits for the metadata): install the controller's state at once.
        state = self.controller._state_message()
        for broker in self.brokers.values():
            broker.retention[name] = options["retention_ms"]
            if broker.up:
                broker.handle_partition_state(state, self.controller_name)

    @property
    def topics(self) -> list[str]:
        return sorted(self.controller.topics)

    def topic_options(self, topic: str) -> dict:
        """The options of ``topic``. Raises UnknownNameError for an unknown topic."""
        if topic not in self.controller.topics:
            raise UnknownNameError("topic", topic, self.topics)
        return dict(self.controller.topics[topic])

    def partition_of(self, topic: str, key: str) -> int:
        """The partition ``key`` goes to (Kafka's murmur2 partitioner)."""
        return partition_for(key, self.topic_options(topic)["partitions"])

    # -- clients -----------------------------------------------------------------------------
    def producer(self, name: str, *, near: str = "b1") -> Producer:
        """A producer placed near broker ``near``."""
        client = Producer(name, self)
        self.world.add_client(client, near=near)
        return client

    def consumer(self, name: str, group: str, topic: str, *, near: str = "b1",
                 auto_commit: bool = False, process_ms: int = 0) -> Consumer:
        """A consumer that joins ``group`` on ``topic`` (see :mod:`.clients` for commits)."""
        self.topic_options(topic)
        check_flag("auto_commit", auto_commit)
        if isinstance(process_ms, bool) or not isinstance(process_ms, int) or process_ms < 0:
            raise ConfigError(f"process_ms must be a whole number >= 0, got {process_ms!r}")
        client = Consumer(name, self, group, topic, auto_commit=auto_commit,
                          process_ms=process_ms)
        self.world.add_client(client, near=near)
        client.join()
        return client

    def elect_leaders(self, *, unclean: bool = True) -> list:
        """The operator's ``kafka-leader-election.sh --election-type unclean`` (KIP-460): elect
        a leader now for every offline partition, from any live replica if ``unclean`` (the
        committed records it lacks are lost), else from the live ISR only.

        Returns:
            the ``(topic, partition)`` pairs that got a leader.

        Example:
            >>> log = KafkaLog(brokers=3, seed=1); log.create_topic("t")
            >>> log.elect_leaders()
            []
        """
        check_flag("unclean", unclean)
        offline = [tp for tp, s in sorted(self.controller.state.items()) if s[0] is None]
        saved = self.options["unclean_leader_election"]
        self.options["unclean_leader_election"] = unclean
        try:
            self.controller._elect_offline()
        finally:
            self.options["unclean_leader_election"] = saved
        return [tp for tp in offline if self.controller.state[tp][0] is not None]

    # -- state for tests, checkers and views ---------------------------------------------------
    def _state(self, topic, p):
        state = self.controller.state.get((topic, p))
        if state is not None:
            return state         # the hot path (every produce and fetch): no dict copies
        last = self.topic_options(topic)["partitions"] - 1   # an unknown topic raises here
        raise ConfigError(f"partition must be in 0..{last}, got {p!r}")

    def leader(self, topic: str, p: int):
        """The partition's leader per the controller (None: offline)."""
        return self._state(topic, p)[0]

    def isr(self, topic: str, p: int) -> tuple:
        """The partition's in-sync replicas per the controller."""
        return tuple(self._state(topic, p)[2])

    def replicas(self, topic: str, p: int) -> tuple:
        return tuple(self._state(topic, p)[3])

    def log_of(self, broker: str, topic: str, p: int) -> list:
        """The message ids in ``broker``'s replica of the partition, in offset order."""
        replica = self.brokers[broker].replicas.get((topic, p))
        return [] if replica is None else [r[3] for r in replica.records]

    def high_watermark(self, topic: str, p: int) -> int:
        """The leader's high watermark (0 when offline)."""
        leader = self.leader(topic, p)
        replica = self.brokers[leader].replicas.get((topic, p)) if leader else None
        return replica.high_watermark if replica else 0

    def committed(self, group: str) -> dict:
        """partition -> committed offset of ``group``."""
        g = self.controller.groups.get(group)
        return dict(g.committed) if g else {}

    def lag(self, group: str) -> dict:
        """partition -> high watermark minus the group's committed offset (consumer lag)."""
        g = self.controller.groups.get(group)
        if g is None:
            raise UnknownNameError("group", group, sorted(self.controller.groups))
        return {p: self.high_watermark(g.topic, p) - g.committed.get(p, 0)
                for p in range(self.topic_options(g.topic)["partitions"])}

    def assignment(self, group: str) -> dict:
        g = self.controller.groups.get(group)
        return dict(g.assignment) if g else {}

    def snapshot(self) -> dict:
        """The log's state as plain data (for views): per topic and partition the leader, ISR,
        replicas and each replica's log start and end offsets and high watermark; per group the
        committed offsets and each member's partitions and positions.

        Example:
            >>> log = KafkaLog(brokers=3, seed=1); log.create_topic("t")
            >>> log.snapshot()["topics"]["t"][0]["leader"]
            'b1'
        """
        topics = {}
        for topic in self.topics:
            rows = []
            for p in range(self.controller.topics[topic]["partitions"]):
                leader, epoch, isr, replicas, _ = self.controller.state[(topic, p)]
                ends = {}
                for b in replicas:
                    r = self.brokers[b].replicas.get((topic, p))
                    ends[b] = (r.log_start, r.log_end, r.high_watermark) if r else (0, 0, 0)
                rows.append({"partition": p, "leader": leader, "epoch": epoch, "isr": list(isr),
                             "replicas": list(replicas), "up": {b: self.brokers[b].up
                                                                for b in replicas},
                             "logs": ends, "high_watermark": self.high_watermark(topic, p)})
            topics[topic] = rows
        groups = {}
        for name, g in sorted(self.controller.groups.items()):
            members = {}
            for m, parts in sorted(g.assignment.items()):
                client = self.world.clients.get(m)
                positions = dict(client.positions) if client is not None else {}
                members[m] = {"partitions": list(parts), "positions": positions}
            groups[name] = {"topic": g.topic, "generation": g.generation,
                            "committed": dict(g.committed), "members": members}
        return {"time_ms": self.now, "topics": topics, "groups": groups}

    def describe(self) -> Description:
        """Roles (controller, leader, follower), options and fault presets."""
        leaders = {s[0] for s in self.controller.state.values() if s[0]}
        lead = sorted(leaders)[0] if leaders else None
        opts = tuple(Option(k, v, "produce", choices=(0, 1, "all") if k == "acks" else None)
                     for k, v in PRODUCE_OPTIONS.items())
        opts += tuple(Option(k, v, "system") for k, v in self.options.items())
        return Description(
            system="bus", mode="kafka", title=f"Kafka-like log, {len(self.brokers)} brokers",
            roles={"controller": Role("controller", "#E69F00", symbol="diamond"),
                   "leader": Role("leader", "#0072B2", symbol="star", leader=True),
                   "follower": Role("follower", "#56B4E9")},
            options=opts, presets=partition_presets(list(self.brokers), leader=lead))

    def roles(self) -> dict:
        """node -> role: controller, leader (of some partition), follower or down."""
        leaders = {s[0] for s in self.controller.state.values()}
        roles = {self.controller_name: "controller" if self.controller.up else "down"}
        for name, b in self.brokers.items():
            roles[name] = "down" if not b.up else ("leader" if name in leaders else "follower")
        return roles

    def __repr__(self) -> str:
        return f"<KafkaLog brokers={len(self.brokers)} topics={self.topics} now={self.now} ms>"
