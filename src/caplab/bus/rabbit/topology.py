"""The broker cluster's definitions: exchanges, queues and bindings, with their validation.

RabbitMQ keeps definitions in a metadata store replicated to every node (Khepri, formerly
Mnesia), so every node can route any message. Here one :class:`Definitions` object is shared by
all the broker nodes; declaring and binding are operator actions on the facade, checked in full
before anything changes.

Queue arguments understood (RabbitMQ names): ``x-message-ttl`` (ms), ``x-max-length``,
``x-overflow`` (``drop-head`` default, or ``reject-publish``), ``x-dead-letter-exchange``,
``x-dead-letter-routing-key``; quorum queues: ``x-delivery-limit`` (default 20, RabbitMQ 4.0),
``x-dead-letter-exchange``, ``x-dead-letter-routing-key``. (RabbitMQ quorum queues also take
TTL and length limits since 3.10; the lab refuses them there, saying so.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import ConfigError, UnknownNameError
from .routing import X_MATCH, check_exchange_type, check_topic_pattern, route

__all__ = ["Definitions", "QueueSpec", "QUEUE_TYPES", "CLASSIC_ARGS", "QUORUM_ARGS",
           "DEFAULT_DELIVERY_LIMIT", "PREDECLARED"]

QUEUE_TYPES = ("classic", "quorum")
CLASSIC_ARGS = ("x-message-ttl", "x-max-length", "x-overflow", "x-dead-letter-exchange",
                "x-dead-letter-routing-key")
QUORUM_ARGS = ("x-delivery-limit", "x-dead-letter-exchange", "x-dead-letter-routing-key")
OVERFLOW = ("drop-head", "reject-publish")
#: RabbitMQ 4.0: quorum queues get a delivery limit of 20 by default
DEFAULT_DELIVERY_LIMIT = 20
#: exchanges every RabbitMQ broker declares (amq.*), besides the default exchange ""
PREDECLARED = {"amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic",
               "amq.headers": "headers"}


@dataclass
class QueueSpec:
    """A declared queue: its type, durability, arguments and where it lives."""

    name: str
    type: str
    durable: bool
    args: dict
    members: tuple        # classic: (home node,); quorum: the nodes holding a replica

    @property
    def home(self) -> str:
        return self.members[0]

    @property
    def delivery_limit(self) -> int:
        return self.args.get("x-delivery-limit", DEFAULT_DELIVERY_LIMIT)


@dataclass
class Definitions:
    """Exchanges, queues and bindings of one broker cluster (shared by its nodes)."""

    nodes: list
    exchanges: dict = field(default_factory=dict)      # name -> (type, durable)
    queues: dict = field(default_factory=dict)         # name -> QueueSpec
    bindings: dict = field(default_factory=dict)       # exchange -> [(queue, key, args)]

    def __post_init__(self) -> None:
        for name, kind in PREDECLARED.items():
            self.exchanges[name] = (kind, True)
            self.bindings[name] = []

    # -- checks ------------------------------------------------------------------------------
    def require_exchange(self, name) -> str:
        if name != "" and name not in self.exchanges:
            raise UnknownNameError("exchange", name, [""] + sorted(self.exchanges))
        return name

    def require_queue(self, name) -> QueueSpec:
        spec = self.queues.get(name)
        if spec is None:
            raise UnknownNameError("queue", name, sorted(self.queues))
        return spec

    def check_exchange(self, name, kind) -> None:
        check_exchange_type(kind)
        if not isinstance(name, str) or not name or name.startswith("amq."):
            raise ConfigError(f"exchange name must be a non-empty string not starting with "
                              f"'amq.' (reserved), got {name!r}")
        if name in self.exchanges and self.exchanges[name][0] != kind:
            raise ConfigError(f"exchange {name!r} exists with type "
                              f"{self.exchanges[name][0]!r}, not {kind!r} "
                              f"(PRECONDITION_FAILED, inequivalent arg 'type')")

    def check_queue(self, name, qtype, args, node) -> dict:
        if not isinstance(name, str) or not name or name.startswith("amq."):
            raise ConfigError(f"queue name must be a non-empty string not starting with "
                              f"'amq.', got {name!r}")
        if qtype not in QUEUE_TYPES:
            raise UnknownNameError("queue type", qtype, QUEUE_TYPES)
        if name in self.queues:
            raise ConfigError(f"queue {name!r} is already declared; choose another name")
        if node is not None and node not in self.nodes:
            raise UnknownNameError("node", node, self.nodes)
        allowed = CLASSIC_ARGS if qtype == "classic" else QUORUM_ARGS
        args = dict(args or {})
        for key, value in args.items():
            if key not in allowed:
                error = UnknownNameError(f"argument for a {qtype} queue", key, allowed)
                if qtype == "quorum" and key in CLASSIC_ARGS:
                    # RabbitMQ 3.10 release notes: "Quorum queues now support message TTL";
                    # length limits too. The lab models them on classic queues only.
                    error.args = (f"{error.args[0]} ({key} works on RabbitMQ quorum queues "
                                  f"since 3.10; this lab models it on classic queues only)",)
                raise error
            self._check_arg(key, value)
        return args

    def _check_arg(self, key, value) -> None:
        if key in ("x-message-ttl", "x-max-length", "x-delivery-limit"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{key} must be a whole number >= 0, got {value!r}")
        elif key == "x-overflow" and value not in OVERFLOW:
            raise UnknownNameError("x-overflow", value, OVERFLOW)
        elif key == "x-dead-letter-exchange":
            self.require_exchange(value)
        elif key == "x-dead-letter-routing-key" and not isinstance(value, str):
            raise ConfigError(f"x-dead-letter-routing-key must be a string, got {value!r}")

    def check_binding(self, queue, exchange, key, arguments) -> None:
        self.require_queue(queue)
        if exchange == "":
            raise ConfigError("the default exchange '' binds every queue by its name; bindings "
                              "to it cannot be declared (ACCESS_REFUSED)")
        self.require_exchange(exchange)
        kind = self.exchanges[exchange][0]
        if not isinstance(key, str):
            raise ConfigError(f"binding key must be a string, got {key!r}")
        if kind == "topic":
            check_topic_pattern(key)
        if kind == "headers":
            mode = (arguments or {}).get("x-match", "all")
            if mode not in X_MATCH:
                raise UnknownNameError("x-match", mode, X_MATCH)

    # -- routing -----------------------------------------------------------------------------
    def route(self, exchange: str, routing_key: str, headers: dict) -> list[str]:
        """The queues a message published to ``exchange`` reaches."""
        if exchange == "":
            return [routing_key] if routing_key in self.queues else []
        kind = self.exchanges[exchange][0]
        return route(kind, self.bindings.get(exchange, ()), routing_key, headers)

    def drop_queue(self, name: str) -> None:
        """Forget a queue and its bindings (a transient queue whose node restarted)."""
        self.queues.pop(name, None)
        for ex, rows in self.bindings.items():
            self.bindings[ex] = [r for r in rows if r[0] != name]
