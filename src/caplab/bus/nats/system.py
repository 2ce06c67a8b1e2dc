"""The ``Nats`` facade: NATS-like servers (one, or a cluster) as a system on a world.

Clients connect to the server they are near; servers crash, restart and get partitioned like
any node. What happened is kept as plain records for the bus checkers:
:meth:`Nats.publishes`, :meth:`Nats.deliveries`, :meth:`Nats.given_up`.
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError
from ...net.latency import Uniform
from ...world.describe import Description, Option, Role, partition_presets
from ...world.system import System
from ...world.world import World
from .client import NatsClient, NatsDriver
from .jetstream import Stream
from .server import NatsServer
from .subjects import check_pattern, subject_matches

__all__ = ["Nats", "OPTIONS"]

#: NATS's ping_interval (2 min) with max_pings_out 2, scaled down for a lab
OPTIONS = {"ping_ms": 100}


class Nats(System):
    """NATS-like servers with core pub/sub, queue groups, request-reply and JetStream streams.

    Args:
        servers: how many servers (named ``s1`` .. ``sN``, a full mesh) or a list of names.
        seed: the one seed (same seed, same history).
        latency, loss, op_timeout_ms, trace: the world's (see :class:`~caplab.world.World`).
        world: stand on this world instead of a new one.
        **options: ``ping_ms``.

    Raises:
        ConfigError: a bad server count or option; nothing is built.

    Example:
        >>> n = Nats(servers=1, seed=1)
        >>> sub = n.client("sub"); pub = n.client("pub")
        >>> sid = sub.subscribe("orders.*")
        >>> n.run_for(20); pub.publish("orders.paid", 42).ok
        True
        >>> n.run_for(20); [(d["id"], d["subject"]) for d in n.deliveries()]
        [('pub-1', 'orders.paid')]
    """

    def __init__(self, servers=1, *, seed: int = 0, latency=Uniform(1, 5), loss: float = 0.0,
                 op_timeout_ms: int = 2000, trace: bool = True, world: World | None = None,
                 **options) -> None:
        names = _server_names(servers)
        for name in options:
            if name not in OPTIONS:
                raise UnknownNameError("NATS option", name, sorted(OPTIONS))
        self.options = dict(OPTIONS, **options)
        for name, value in self.options.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a whole number of ms >= 1, got {value!r}")
        self.world = world = self.world_for(world, names, what="server", seed=seed,
                                            latency=latency, loss=loss,
                                            op_timeout_ms=op_timeout_ms, trace=trace)
        self.tracing = world.sim.trace.enabled      # skip building trace text when off
        self.server_names = names
        self.driver = NatsDriver()
        self.servers: dict[str, NatsServer] = {}
        self._stream_home: dict[str, tuple] = {}     # stream -> (server, subjects)
        self._publishes: list[dict] = []
        self._by_id: dict[str, dict] = {}
        self._deliveries: list[dict] = []
        self._given_up: list[dict] = []
        for name in names:
            server = NatsServer(name, self)
            self.servers[name] = server
            world.add_node(server)
            server.start()
        world.note(f"nats servers={','.join(names)} seed={world.seed}", system="bus",
                   mode="nats", nodes=tuple(names))

    def _own_nodes(self) -> list[str]:
        return list(self.servers)

    # -- clients and streams -------------------------------------------------------------------
    def client(self, name: str, near: str | None = None) -> NatsClient:
        """A connected client near server ``near`` (default: the first server).

        Raises:
            ConfigError: a bad or taken name. UnknownNameError: an unknown server.
        """
        if not isinstance(name, str) or not name:
            raise ConfigError(f"client name must be a non-empty string, got {name!r}")
        if name in self.world.network.endpoints:
            raise ConfigError(f"{name!r} is already on the network; choose another name")
        if near is not None and near not in self.servers:
            raise UnknownNameError("server", near, list(self.servers))
        client = NatsClient(name, self)
        self.world.add_client(client, near=near or self.server_names[0])
        client.start()
        return client

    def add_stream(self, name: str, subjects, *, server: str | None = None) -> None:
        """Create a JetStream stream storing the messages on ``subjects`` (patterns allowed).

        Raises:
            ConfigError: a bad or taken name, a malformed pattern, a subject another stream
                already captures.
            UnknownNameError: an unknown server.

        Example:
            >>> n.add_stream("ORDERS", ["orders.>"])   # doctest: +SKIP
        """
        if not isinstance(name, str) or not name or name in self._stream_home:
            raise ConfigError(f"stream name must be a new non-empty string, got {name!r}")
        subjects = (subjects,) if isinstance(subjects, str) else tuple(subjects)
        if not subjects:
            raise ConfigError("a stream needs at least one subject")
        for pattern in subjects:
            check_pattern(pattern)
            for other, (_, theirs) in sorted(self._stream_home.items()):
                if pattern in theirs:
                    raise ConfigError(f"subject {pattern!r} is already captured by stream "
                                      f"{other!r} (subjects overlap)")
        server = server or self.server_names[0]
        if server not in self.servers:
            raise UnknownNameError("server", server, list(self.servers))
        self._stream_home[name] = (server, subjects)
        self.servers[server].streams[name] = Stream(name, subjects)

    def stream_server(self, stream: str) -> str:
        """The server holding ``stream``.

        Raises:
            UnknownNameError: no such stream.
        """
        if stream not in self._stream_home:
            raise UnknownNameError("stream", stream, sorted(self._stream_home))
        return self._stream_home[stream][0]

    def stream_holder(self, subject: str) -> str | None:
        """The server whose stream captures ``subject`` (None: no stream does)."""
        for name in sorted(self._stream_home):
            server, patterns = self._stream_home[name]
            if any(subject_matches(p, subject) for p in patterns):
                return server
        return None

    # -- records ---------------------------------------------------------------------------
    def record_publish(self, message_id: str, subject: str, time_ms: int, op: str) -> None:
        if op == "request":
            return
        row = {"id": message_id, "subject": subject, "key": subject, "confirmed": None,
               "time_ms": time_ms, "jetstream": op == "js_publish"}
        self._publishes.append(row)
        self._by_id[message_id] = row

    def settle_publish(self, message_id: str, confirmed) -> None:
        row = self._by_id.get(message_id)
        if row is not None:
            row["confirmed"] = confirmed

    def record_delivery(self, message_id, subject, consumer, time_ms, redelivered) -> None:
        self._deliveries.append({"id": message_id, "subject": subject, "consumer": consumer,
                                 "time_ms": time_ms, "redelivered": bool(redelivered)})
        op = self.world.history.invoke(consumer, "receive", subject, None, time_ms)
        self.world.history.complete(op, "ok", time_ms, output=message_id)

    def record_given_up(self, stream, durable, message_id, time_ms) -> None:
        self._given_up.append({"id": message_id, "stream": stream, "consumer": durable,
                               "time_ms": time_ms})

    def publishes(self) -> list[dict]:
        """One dict per publish: ``id, subject, key, confirmed, time_ms, jetstream``
        (``confirmed`` None for core publishes: nothing acknowledges them)."""
        return [dict(r) for r in self._publishes]

    def deliveries(self) -> list[dict]:
        """One dict per message a subscriber or consumer processed: ``id, subject, consumer,
        time_ms, redelivered``."""
        return [dict(r) for r in self._deliveries]

    def given_up(self) -> list[dict]:
        """JetStream messages a consumer stopped retrying after ``max_deliver`` deliveries."""
        return [dict(r) for r in self._given_up]

    def subscription_records(self) -> list[dict]:
        """One dict per subscription a server holds: server, client, sid, pattern, queue."""
        return [{"server": s, "client": c, "sid": sid, "pattern": p, "queue": q}
                for s, server in self.servers.items() if server.up
                for c in sorted(server.subs) for sid, (p, q) in sorted(server.subs[c].items())]

    def describe(self) -> Description:
        """Roles, options and fault presets for views and panels."""
        return Description(
            system="bus", mode="nats", title="NATS-like subjects",
            roles={"server": Role("server", "#009E73")},
            options=(Option("ping_ms", OPTIONS["ping_ms"], "system", "NATS ping_interval"),
                     Option("queue", None, "subscribe", "queue group"),
                     Option("ack_wait_ms", 300, "consume", "JetStream AckWait"),
                     Option("max_deliver", -1, "consume",
                            "JetStream MaxDeliver (-1: unlimited)")),
            presets=partition_presets(list(self.servers)), layout="ring")

    def __repr__(self) -> str:
        return f"<Nats servers={len(self.servers)} now={self.now} ms>"


def _server_names(servers) -> list[str]:
    if isinstance(servers, bool):
        raise ConfigError(f"servers must be a count >= 1 or a list of names, got {servers!r}")
    if isinstance(servers, int):
        if not 1 <= servers <= 9:
            raise ConfigError(f"servers must be between 1 and 9, got {servers}")
        return [f"s{i}" for i in range(1, servers + 1)]
    names = list(servers)
    if not names or not all(isinstance(n, str) and n for n in names) or \
            len(set(names)) != len(names):
        raise ConfigError(f"server names must be distinct non-empty strings, got {servers!r}")
    return names
