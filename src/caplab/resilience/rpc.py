"""Request/reply over the simulated network: a ``Call`` and its ``CallReply``, and an endpoint
that sends calls and routes the replies back to whoever made them.

The contract with a dependency is small on purpose: it receives ``Call(id, payload)`` and
answers ``CallReply(id, ok, value, error)`` to the sender (an error reply is a *definite*
failure: the dependency says the call did not happen). A ``Rejected`` reply whose ``request`` is
the ``Call`` (as ``caplab.net.service`` refuses a request when its queue is full) is a definite
failure too. Silence is not an answer: the caller's timeout makes it an unknown outcome.
"""

from __future__ import annotations

from typing import Any

from ..net.endpoint import Endpoint
from ..net.message import message

__all__ = ["Call", "CallReply", "RpcEndpoint"]


@message
class Call:
    """A request to a dependency: ``id`` is unique per sender."""
    id: int
    payload: Any = None


@message
class CallReply:
    """The answer to ``Call(id)``: ``ok`` with ``value``, or not ok with ``error`` (definite)."""
    id: int
    ok: bool
    value: Any = None
    error: str | None = None


class RpcEndpoint(Endpoint):
    """An endpoint that makes calls (a client, or a service calling its own dependencies).

    ``rpc(dst, payload, on_reply)`` sends a ``Call`` and later calls ``on_reply(ok, value,
    error, src)`` with the answer, unless :meth:`forget` was called first (a timeout). The
    :class:`~caplab.resilience.pipeline.ResilientCaller` objects it owns are told when it
    crashes.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.callers: list = []
        self._rpc_seq = 0
        self._rpc_pending: dict[int, Any] = {}

    def rpc(self, dst: str, payload, on_reply) -> int:
        """Send ``Call(payload)`` to ``dst``; returns the call id."""
        self._rpc_seq += 1
        self._rpc_pending[self._rpc_seq] = on_reply
        self.send(dst, Call(self._rpc_seq, payload))
        return self._rpc_seq

    def forget(self, call_id: int) -> None:
        """Stop waiting for ``call_id``: a late reply is then ignored."""
        self._rpc_pending.pop(call_id, None)

    def handle_call_reply(self, msg: CallReply, src: str) -> None:
        on_reply = self._rpc_pending.pop(msg.id, None)
        if on_reply is not None:
            on_reply(msg.ok, msg.value, msg.error, src)

    def handle_rejected(self, msg, src: str) -> None:
        # caplab.net.service refuses a request at once when its queue is full: definite.
        call = getattr(msg, "request", None)
        on_reply = self._rpc_pending.pop(getattr(call, "id", None), None)
        if on_reply is not None:
            on_reply(False, None, f"rejected by {src}: {getattr(msg, 'reason', '')} "
                                  f"(definite)", src)

    def on_crash(self) -> None:
        self._rpc_pending.clear()
        for caller in self.callers:
            caller.abandon_all("caller crashed: outcome unknown (indefinite)")
