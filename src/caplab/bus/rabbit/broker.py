"""The ``Broker`` facade: a RabbitMQ-like broker (one node or a cluster) as a system on a world.

The operator declares exchanges, queues and bindings (checked in full before anything changes);
publishers and consumers are clients placed near a node; broker nodes crash, restart and get
partitioned like any node of the world. What happened is kept as plain records for the bus
checkers: :meth:`Broker.publishes`, :meth:`Broker.deliveries`, :meth:`Broker.dead_letters`.
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError
from ...net.latency import Uniform
from ...world.describe import Description, Option, Role, partition_presets
from ...world.system import System
from ...world.world import World
from .client import Consumer, Publisher, RabbitDriver
from .node import BrokerNode
from .quorum import LEADER
from .topology import Definitions, QueueSpec

__all__ = ["Broker", "OPTIONS"]

#: broker options and defaults (RabbitMQ's, scaled down for a lab): heartbeat 60 s -> 100 ms;
#: Ra's election timeout; the message store's fsync interval (up to a few hundred ms in RabbitMQ)
OPTIONS = {"heartbeat_ms": 100, "election_timeout_ms": 300, "fsync_ms": 5}


class Broker(System):
    """A RabbitMQ-like broker.

    Args:
        nodes: how many broker nodes (named ``r1`` .. ``rN``) or a list of names.
        seed: the one seed (same seed, same history).
        latency, loss, op_timeout_ms, trace: the world's (see :class:`~caplab.world.World`).
        world: stand on this world instead of a new one.
        **options: ``heartbeat_ms``, ``election_timeout_ms``, ``fsync_ms`` (see ``OPTIONS``).

    Raises:
        ConfigError: a bad node count or option value; nothing is built.

    Example:
        >>> b = Broker(nodes=1, seed=1)
        >>> b.declare_queue("jobs")
        >>> p = b.publisher("alice")
        >>> p.publish("", "jobs", "hello").ok
        True
    """

    def __init__(self, nodes=1, *, seed: int = 0, latency=Uniform(1, 5), loss: float = 0.0,
                 op_timeout_ms: int = 2000, trace: bool = True, world: World | None = None,
                 **options) -> None:
        names = _node_names(nodes)
        self.options = _check_options(options)
        self.world = world = self.world_for(world, names, seed=seed, latency=latency, loss=loss,
                                            op_timeout_ms=op_timeout_ms, trace=trace)
        self.tracing = world.sim.trace.enabled      # skip building trace text when off
        self.defs = Definitions(list(names))
        self.driver = RabbitDriver()
        self.nodes = {}
        self._publishes: list[dict] = []
        self._by_id: dict[str, dict] = {}
        self._deliveries: list[dict] = []
        self._dead: list[dict] = []
        for name in names:
            node = BrokerNode(name, self)
            self.nodes[name] = node
            world.add_node(node)
            node.start()
        world.note(f"rabbit broker nodes={','.join(names)} seed={world.seed}", system="bus",
                   mode="rabbit", nodes=tuple(names))

    def _own_nodes(self) -> list[str]:
        return list(self.nodes)

    # -- definitions (operator actions) -------------------------------------------------------
    def declare_exchange(self, name: str, type: str = "direct", *, durable: bool = True) -> None:
        """Declare an exchange of ``type`` direct, fanout, topic or headers.

        Raises:
            ConfigError: an unknown type (the message lists the allowed ones), a reserved or
                empty name, or an existing exchange of another type.

        Example:
            >>> b.declare_exchange("logs", "fanout")   # doctest: +SKIP
        """
        self.defs.check_exchange(name, type)
        self.defs.exchanges[name] = (type, bool(durable))
        self.defs.bindings.setdefault(name, [])

    def declare_queue(self, name: str, *, type: str = "classic", durable: bool = True,
                      arguments: dict | None = None, node: str | None = None) -> None:
        """Declare a queue; a classic queue lives on ``node`` (default: the first node up), a
        quorum queue on up to three nodes starting there (``x-quorum-initial-group-size`` 3).

        Raises:
            ConfigError: a bad name, type, argument or argument value; the node is down.
            UnknownNameError: an unknown node, argument or dead-letter exchange.

        Example:
            >>> b.declare_queue("work", arguments={"x-max-length": 10,
            ...                 "x-dead-letter-exchange": "dlx"})   # doctest: +SKIP
        """
        args = self.defs.check_queue(name, type, arguments, node)
        up = [n for n, ep in self.nodes.items() if ep.up]
        home = node if node is not None else (up[0] if up else None)
        if home is None or not self.nodes[home].up:
            raise ConfigError(f"cannot declare queue {name!r} on {home or 'any node'}: it is "
                              f"down; restart it or choose node= among {up}")
        order = list(self.nodes)
        start = order.index(home)
        members = (home,) if type == "classic" else tuple((order[start:] + order[:start])[:3])
        spec = QueueSpec(name, type, bool(durable) or type == "quorum", args, members)
        self.defs.queues[name] = spec
        if type == "classic":
            self.nodes[home].create_classic(name, spec.durable)
        else:
            for member in members:
                self.nodes[member].create_quorum(spec)

    def bind(self, queue: str, exchange: str, routing_key: str = "", *,
             arguments: dict | None = None) -> None:
        """Bind ``queue`` to ``exchange`` with a binding key (topic: a pattern; headers:
        ``arguments`` with ``x-match``).

        Raises:
            UnknownNameError: an unknown queue or exchange.
            ConfigError: a malformed topic pattern (``a.*b``, an empty word) or ``x-match``.
        """
        self.defs.check_binding(queue, exchange, routing_key, arguments)
        row = (queue, routing_key, dict(arguments or {}))
        if row not in self.defs.bindings[exchange]:
            self.defs.bindings[exchange].append(row)

    # -- clients ----------------------------------------------------------------------------
    def publisher(self, name: str, near: str | None = None, *, confirms: bool = True):
        """A publisher near node ``near`` (default: the first node), confirms on by default."""
        self._check_client(name, near)
        client = Publisher(name, self, bool(confirms))
        self.world.add_client(client, near=near or next(iter(self.nodes)))
        return client

    def consumer(self, name: str, queue: str, *, near: str | None = None, prefetch: int = 0,
                 auto_ack: bool = False, process_ms: int = 0, handler=None):
        """A consumer of ``queue``, subscribed at once.

        Args:
            prefetch: basic.qos prefetch count: at most this many unacknowledged deliveries
                (0: no limit; ignored with ``auto_ack``, as in RabbitMQ).
            auto_ack: automatic acknowledgement (a message is gone once sent).
            process_ms: how long processing one delivery takes.
            handler: ``handler(envelope, redelivered) -> "ack" | "requeue" | "reject"``.

        Raises:
            ConfigError: prefetch < 0, a bad process_ms, a taken name.
            UnknownNameError: an unknown queue or node.
        """
        self.defs.require_queue(queue)
        if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 0:
            raise ConfigError(f"prefetch must be a whole number >= 0 (0: no limit), got "
                              f"{prefetch!r}")
        if isinstance(process_ms, bool) or not isinstance(process_ms, int) or process_ms < 0:
            raise ConfigError(f"process_ms must be a whole number of ms >= 0, got "
                              f"{process_ms!r}")
        self._check_client(name, near)
        client = Consumer(name, self, queue, prefetch, bool(auto_ack), process_ms, handler)
        self.world.add_client(client, near=near or next(iter(self.nodes)))
        client.start()
        return client

    def _check_client(self, name, near) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"client name must be a non-empty string, got {name!r}")
        if name in self.world.network.endpoints:
            raise ConfigError(f"{name!r} is already on the network; choose another name")
        if near is not None and near not in self.nodes:
            raise UnknownNameError("node", near, list(self.nodes))

    def locate(self, queue: str) -> str:
        """The node that serves ``queue``'s consumers: its home, or its quorum leader."""
        spec = self.defs.queues.get(queue)
        if spec is None:
            return next(iter(self.nodes))
        if spec.type == "quorum":
            leaders = [(m.term, n) for n in spec.members for m in [self.nodes[n].raft.get(queue)]
                       if self.nodes[n].up and m is not None and m.role == LEADER]
            if leaders:
                return max(leaders)[1]
        return spec.home

    # -- records for checkers and views -----------------------------------------------------
    def record_publish(self, env, time_ms: int, confirms: bool) -> None:
        row = {"id": env.id, "exchange": env.exchange, "key": env.routing_key,
               "confirmed": None, "time_ms": time_ms}
        self._publishes.append(row)
        self._by_id[env.id] = row

    def settle_publish(self, message_id: str, confirmed) -> None:
        row = self._by_id.get(message_id)
        if row is not None:
            row["confirmed"] = confirmed

    def record_delivery(self, message_id, queue, consumer, time_ms, redelivered,
                        received_ms, outcome) -> None:
        self._deliveries.append({"id": message_id, "queue": queue, "consumer": consumer,
                                 "time_ms": time_ms, "redelivered": bool(redelivered),
                                 "outcome": outcome})
        op = self.world.history.invoke(consumer, "consume", queue, None, received_ms,
                                       options={"outcome": outcome})
        self.world.history.complete(op, "ok", time_ms, output=message_id, node=None)

    def record_dead_letter(self, queue, message_id, reason, exchange, time_ms) -> None:
        self._dead.append({"id": message_id, "queue": queue, "reason": reason,
                           "exchange": exchange, "time_ms": time_ms})

    def publishes(self) -> list[dict]:
        """One dict per publish: ``id, exchange, key, confirmed (True/False/None), time_ms``."""
        return [dict(r) for r in self._publishes]

    def deliveries(self) -> list[dict]:
        """One dict per processed delivery: ``id, queue, consumer, time_ms, redelivered``
        (and the handler's ``outcome``)."""
        return [dict(r) for r in self._deliveries]

    def dead_letters(self) -> list[dict]:
        """One dict per dead-lettered (or dropped) message: ``id, queue, reason, exchange``."""
        return [dict(r) for r in self._dead]

    def queue_records(self) -> list[dict]:
        """One dict per queue: type, node(s), ready, unacknowledged and consumer counts."""
        out = []
        for name, spec in sorted(self.defs.queues.items()):
            node = self.locate(name)
            ep = self.nodes[node]
            state = ep.serving(name) if ep.up else None
            out.append({"queue": name, "type": spec.type, "durable": spec.durable,
                        "node": node, "members": spec.members,
                        "ready": state.ready_count if state else None,
                        "unacked": state.unacked_count if state else None,
                        "consumers": len(state.consumers) if state else 0})
        return out

    def topology_records(self) -> dict:
        """Exchanges, bindings and queues as plain data, for a graph view: ``exchanges`` (name,
        type, durable), ``bindings`` (exchange, queue, key, arguments) and ``queues`` (as
        :meth:`queue_records`, plus ``dead_lettered``: messages dead-lettered from it).

        Example:
            >>> b.topology_records()["bindings"]   # doctest: +SKIP
            [{'exchange': 'orders', 'queue': 'eu', 'key': 'eu.#', 'arguments': {}}]
        """
        dead: dict[str, int] = {}
        for row in self._dead:
            dead[row["queue"]] = dead.get(row["queue"], 0) + 1
        return {
            "exchanges": [{"name": n, "type": t, "durable": d}
                          for n, (t, d) in sorted(self.defs.exchanges.items())],
            "bindings": [{"exchange": ex, "queue": q, "key": k, "arguments": dict(a)}
                         for ex, rows in sorted(self.defs.bindings.items())
                         for q, k, a in rows],
            "queues": [dict(r, dead_lettered=dead.get(r["queue"], 0))
                       for r in self.queue_records()],
        }

    def describe(self) -> Description:
        """Roles (broker node, quorum leader), options and fault presets for views and panels."""
        leader = next((self.locate(q) for q, s in sorted(self.defs.queues.items())
                       if s.type == "quorum"), None)
        return Description(
            system="bus", mode="rabbit", title="RabbitMQ-like broker",
            roles={"broker": Role("broker", "#E69F00"),
                   "leader": Role("leader", "#0072B2", symbol="star", leader=True,
                                  label="quorum leader")},
            options=tuple(Option(k, v, "system", f"RabbitMQ {k}") for k, v in OPTIONS.items())
            + (Option("prefetch", 0, "consume", "basic.qos prefetch count", allowed=">= 0"),
               Option("auto_ack", False, "consume", "automatic acknowledgement",
                      choices=(False, True)),
               Option("persistent", False, "publish", "delivery mode 2", choices=(False, True))),
            presets=partition_presets(list(self.nodes), leader=leader), layout="star")

    def __repr__(self) -> str:
        return (f"<Broker nodes={len(self.nodes)} queues={len(self.defs.queues)} "
                f"now={self.now} ms>")


def _node_names(nodes) -> list[str]:
    if isinstance(nodes, bool):
        raise ConfigError(f"nodes must be a count >= 1 or a list of names, got {nodes!r}")
    if isinstance(nodes, int):
        if not 1 <= nodes <= 9:
            raise ConfigError(f"nodes must be between 1 and 9, got {nodes}")
        return [f"r{i}" for i in range(1, nodes + 1)]
    names = list(nodes)
    if not names or not all(isinstance(n, str) and n for n in names) or \
            len(set(names)) != len(names):
        raise ConfigError(f"node names must be distinct non-empty strings, got {nodes!r}")
    return names


def _check_options(given: dict) -> dict:
    for name in given:
        if name not in OPTIONS:
            raise UnknownNameError("broker option", name, sorted(OPTIONS))
    merged = dict(OPTIONS, **given)
    for name, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a whole number of ms >= 1, got {value!r}")
    return merged
