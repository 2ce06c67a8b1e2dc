"""Lab 5's node base: the messages between clients and nodes, and :class:`RegisterNode`, the
class a student derives a register node from (handlers, helpers, durable state across crashes).

A crash keeps only what the node class names in ``durable`` (its disk): every other attribute
is forgotten, and on restart ``setup()`` runs again before the durable attributes are put
back, as a process that restarts rebuilds its memory and reads its files.

Example:
    >>> class Local(RegisterNode):
    ...     durable = ("store",)
    ...     def setup(self): self.store = {}
    ...     def handle_put(self, msg, src):
    ...         self.store[msg.key] = msg.value; self.reply(src, msg)
    ...     def handle_get(self, msg, src): self.reply(src, msg, self.store.get(msg.key))
    >>> check_node_class(Local)
"""

from __future__ import annotations

import copy
from typing import Any

from ...errors import ConfigError
from ...net.endpoint import Endpoint, handler_name
from ...net.message import message

__all__ = ["Put", "Get", "PutOk", "GetOk", "RegisterNode", "check_node_class"]


@message
class Put:
    """A client asks the node to write ``value`` into register ``key``; ``req`` names it."""
    key: str
    value: Any
    req: int


@message
class Get:
    """A client asks the node for register ``key``'s value; ``req`` names the request."""
    key: str
    req: int


@message
class PutOk:
    """The node's answer to :class:`Put` ``req``: the write happened."""
    req: int


@message
class GetOk:
    """The node's answer to :class:`Get` ``req``: the register held ``value``."""
    req: int
    value: Any


#: attributes of the base class that a crash does not touch (the node's identity and wiring)
_WIRING = frozenset({"name", "network", "up", "incarnation", "peers", "_disk"})


class RegisterNode(Endpoint):
    """The base of a lab 5 node: write ``setup()``, ``handle_put`` and ``handle_get``.

    Handlers are named by what they receive (DSLabs' convention): a message of kind ``Put``
    goes to ``handle_put(msg, src)``, one of your own kind ``Store`` to
    ``handle_store(msg, src)``. Declare your own messages with ``@message`` (from
    ``caplab.net``). Handlers run to completion; to wait for replies, keep what you are waiting
    for in your state and finish when the last reply arrives.

    Attributes:
        name: this node's name (``"n1"``).
        peers: every node's name, this one included, in order.
        durable: class attribute, the names of the attributes a crash keeps (a disk). Every
            other attribute is forgotten by a crash; ``setup()`` runs again on restart and the
            durable attributes are put back afterwards.

    Useful methods: ``send(dst, msg)``, ``broadcast(msg)`` (every peer, this node too),
    ``reply(client, request, value=None)``, ``set_timer(delay_ms, fn, *args)``, and the
    properties ``others`` and ``majority``.
    """

    durable: tuple = ()

    def __init__(self, name: str, peers) -> None:
        super().__init__(name)
        self.peers = tuple(peers)
        self._disk: dict = {}
        self.setup()

    def setup(self) -> None:
        """Create your state here (called at the start and again after every restart)."""

    @property
    def others(self) -> tuple:
        """Every other node's name."""
        return tuple(p for p in self.peers if p != self.name)

    @property
    def majority(self) -> int:
        """How many nodes make a majority (3 of 5, 2 of 3, 1 of 1)."""
        return len(self.peers) // 2 + 1

    def broadcast(self, msg) -> None:
        """Send ``msg`` to every node, this one included (it arrives like any message)."""
        for peer in self.peers:
            self.send(peer, msg)

    def reply(self, client: str, request, value=None) -> None:
        """Answer a client's request: :class:`PutOk` to a :class:`Put`, :class:`GetOk` with
        ``value`` to a :class:`Get`.

        Example:
            >>> self.reply(src, msg, self.store.get(msg.key))     # doctest: +SKIP
        """
        if isinstance(request, Get):
            self.send(client, GetOk(request.req, value))
        elif isinstance(request, Put):
            self.send(client, PutOk(request.req))
        else:
            raise ConfigError(f"reply() answers a client's Put or Get, got {request!r}")

    def receive(self, msg, src: str) -> None:
        handler = getattr(self, handler_name(msg.kind), None)
        if handler is None:
            # Not NotImplementedError: that means "not attempted yet" to the grader.
            raise AttributeError(f"{type(self).__name__} {self.name!r} received a {msg.kind} "
                                 f"from {src} but has no handler: add def "
                                 f"{handler_name(msg.kind)}(self, msg, src)")
        handler(msg, src)

    def state(self) -> dict:
        """Your attributes (what the step-through and the cluster graph show), by name."""
        return {k: v for k, v in sorted(vars(self).items()) if k not in _WIRING}

    # -- crashes: keep only what is durable -----------------------------------------------------
    def on_crash(self) -> None:
        self._disk = {name: copy.deepcopy(getattr(self, name)) for name in self.durable
                      if hasattr(self, name)}
        for name in list(vars(self)):
            if name not in _WIRING:
                delattr(self, name)

    def on_restart(self) -> None:
        self.setup()
        for name, value in self._disk.items():
            setattr(self, name, copy.deepcopy(value))


def check_node_class(node_class) -> None:
    """Raise :class:`ConfigError` unless ``node_class`` is a usable :class:`RegisterNode`
    subclass whose ``durable`` names are attributes ``setup()`` creates."""
    if not (isinstance(node_class, type) and issubclass(node_class, RegisterNode)):
        raise ConfigError(f"expected a class derived from RegisterNode, got {node_class!r}")
    durable = node_class.durable
    if isinstance(durable, str) or not all(isinstance(d, str) for d in durable):
        raise ConfigError(f"durable must be a tuple of attribute names such as ('store',), "
                          f"got {durable!r}")
    probe = node_class("n1", ("n1",))
    missing = [d for d in durable if d not in vars(probe)]
    if missing:
        raise ConfigError(f"durable names {', '.join(map(repr, missing))}, but setup() creates "
                          f"no such attribute; it creates: "
                          f"{', '.join(probe.state()) or '(nothing)'}")
