"""A small dependency endpoint for the resilience scenarios: a fixed number of workers, a FIFO
queue, a latency model for the work, and the faults a caller must survive (slow, failing with
probability p, crashed).

A request holds a worker for a service time drawn from ``latency`` (from the endpoint's own
random stream), then is answered ``ok`` or, with probability ``fail_p``, with an error (a
definite failure). With ``downstream`` set, a worker that finished its own work then calls the
next dependency through a :class:`~caplab.resilience.pipeline.ResilientCaller` and *keeps the
worker* until that answers: a slow downstream ties up this endpoint's workers, its queue grows,
and its own callers time out (the cascading failure of Nygard's "Release It!"). A crash loses
the queue and the requests in service (their callers hear nothing).

The interface is a ``Call``/``CallReply`` exchange (:mod:`caplab.resilience.rpc`), so a caller
can later be pointed at ``caplab.net.service`` instead, given a handler that answers with a
``CallReply``.
"""

from __future__ import annotations

from collections import deque

from ..errors import ConfigError, check_probability
from ..net.latency import latency_model
from .rpc import CallReply, RpcEndpoint

__all__ = ["Dependency"]


def _check_workers(workers) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a whole number >= 1, got {workers!r}")
    return workers


class Dependency(RpcEndpoint):
    """A request/reply service with ``workers`` workers.

    Args:
        name: its node name.
        workers: requests served at once, >= 1.
        latency: service time (a latency model, ms, or a spec such as ``("uniform", 5, 15)``).
        fail_p: probability that a served request is answered with an error.
        queue_limit: requests that may wait (None: no limit); beyond it, refused at once.
        downstream: ``route(payload) -> ResilientCaller | None``: the call a request makes
            after its own work (set with :meth:`call_downstream`).

    Raises:
        ConfigError: a bad value, named.

    Example:
        >>> d = Dependency("db", workers=2, latency=("uniform", 5, 15), fail_p=0.1)
        >>> d.workers, d.fail_p
        (2, 0.1)
    """

    def __init__(self, name: str, *, workers: int = 4, latency=10, fail_p: float = 0.0,
                 queue_limit: int | None = None) -> None:
        workers = _check_workers(workers)
        model = latency_model(latency)
        fail_p = check_probability("fail_p", fail_p)
        if queue_limit is not None and (isinstance(queue_limit, bool)
                                        or not isinstance(queue_limit, int) or queue_limit < 0):
            raise ConfigError(f"queue_limit must be None or a whole number >= 0, got "
                              f"{queue_limit!r}")
        super().__init__(name)
        self.workers, self.latency, self.fail_p = workers, model, fail_p
        self.queue_limit = queue_limit
        self.route = None
        self.served = self.refused = self.failed = 0
        self.queue: deque = deque()
        self.busy = 0
        self.arrivals: list[int] = []    # when each request reached it (its offered load)

    # -- faults and wiring ---------------------------------------------------------------
    def make_slow(self, latency) -> None:
        """Serve with ``latency`` from now on (a slow dependency: GC pauses, a bad disk)."""
        self.latency = latency_model(latency)

    def make_failing(self, fail_p: float) -> None:
        """Answer a served request with an error with probability ``fail_p`` from now on."""
        self.fail_p = check_probability("fail_p", fail_p)

    def call_downstream(self, route) -> None:
        """After its own work, a request calls ``route(payload)`` (a ResilientCaller owned by
        this endpoint, or None) and keeps its worker until that call completes."""
        if not callable(route):
            raise ConfigError(f"route must be a function of the payload, got {route!r}")
        self.route = route

    @property
    def queue_length(self) -> int:
        return len(self.queue)

    # -- requests --------------------------------------------------------------------------
    def handle_call(self, msg, src: str) -> None:
        self.arrivals.append(self.now)
        if self.busy < self.workers:
            self._start(msg, src)
        elif self.queue_limit is not None and len(self.queue) >= self.queue_limit:
            self.refused += 1
            self.send(src, CallReply(msg.id, False, None,
                                     f"queue full ({self.queue_limit} waiting, {self.workers} "
                                     f"busy): refused (definite)"))
        else:
            self.queue.append((msg, src))

    def _start(self, msg, src: str) -> None:
        self.busy += 1
        work = int(self.latency.sample(self.rng("service")) + 0.5)
        self.set_timer(work, self._worked, msg, src)

    def _worked(self, msg, src: str) -> None:
        if self.fail_p and self.rng("fail").random() < self.fail_p:
            self._reply(msg, src, False, None, f"{self.name} failed the request")
            return
        caller = self.route(msg.payload) if self.route is not None else None
        if caller is None:
            self._reply(msg, src, True, f"{self.name}:{msg.payload}", None)
            return
        caller.call(msg.payload, on_done=lambda r: self._downstream_done(msg, src, r))

    def _downstream_done(self, msg, src: str, result) -> None:
        if not self.up:
            return
        if result.ok:
            self._reply(msg, src, True, result.value, None)
        else:
            self._reply(msg, src, False, None, f"{self.name}: downstream {result.error}")

    def _reply(self, msg, src: str, ok: bool, value, error) -> None:
        if ok:
            self.served += 1
        else:
            self.failed += 1
        self.send(src, CallReply(msg.id, ok, value, error))
        self.busy -= 1
        if self.queue:
            self._start(*self.queue.popleft())

    def on_crash(self) -> None:
        super().on_crash()
        self.queue.clear()       # volatile: the queue and the work in progress are lost
        self.busy = 0

    def metrics(self) -> dict:
        """Plain numbers for a monitor: busy workers, queue length, served, failed, refused."""
        return {"node": self.name, "busy": self.busy, "workers": self.workers,
                "queue_length": len(self.queue), "served": self.served, "failed": self.failed,
                "refused": self.refused}
