"""A load balancer in front of replicas: round robin, least connections or random routing, with
health checks that take a crashed replica out of rotation, and an optional per-replica connection
limit that makes the balancer hold a queue of its own.

Routing (what real balancers offer): *round robin* takes the replicas in turn (nginx's default);
*least connections* sends each request to the replica with the fewest requests in flight (nginx
``least_conn``, HAProxy ``balance leastconn``); *random* picks uniformly (NATS queue groups are
load-blind like this). With ``max_connections`` set, a replica holds at most that many requests
and the rest wait at the balancer, first in first out (HAProxy's per-server ``maxconn``: "when
this limit is reached, connections queue up in the backend until a server slot becomes free");
with ``max_connections=1`` and one worker per replica the balancer and its replicas form exactly
one M/M/c queue.

Health checks: every ``health_interval_ms`` the balancer pings each replica; after
``unhealthy_threshold`` unanswered pings in a row it is *detected down*: no request is routed to
it, and the requests it held are answered :class:`~caplab.services.capacity.Failed` (indefinite:
they may have run). One answered ping brings it back. (AWS ALB target groups:
``HealthCheckIntervalSeconds`` 30 s, ``UnhealthyThresholdCount`` 2; lab scale: 500 ms and 2.)
Between the crash and its detection, requests routed to the dead replica are lost: that is the
availability gap.
"""

from __future__ import annotations

from collections import deque

from ..errors import ConfigError, UnknownNameError
from ..net.endpoint import Endpoint
from ..net.service import Rejected
from .capacity import Failed, Ping

__all__ = ["LoadBalancer", "POLICIES"]

POLICIES = ("round_robin", "least_connections", "random")


def check_policy(policy) -> str:
    """Return ``policy`` if it is one of :data:`POLICIES`, else raise :class:`UnknownNameError`."""
    if policy not in POLICIES:
        raise UnknownNameError("balancing policy", policy, POLICIES)
    return policy


class LoadBalancer(Endpoint):
    """Routes each :class:`~caplab.services.capacity.Call` to one healthy replica and relays
    the reply to the caller.

    Args:
        name: the balancer's name on the network.
        policy: ``"round_robin"``, ``"least_connections"`` or ``"random"``.
        max_connections: requests one replica may hold (None: no limit); the rest wait here.
        health_interval_ms: how often replicas are pinged.
        unhealthy_threshold: unanswered pings in a row before a replica is taken out.
        keep_routes: keep ``routes``, every ``(time, replica)`` routing decision (for tests).

    Raises:
        UnknownNameError: an unknown policy (the allowed ones are named).
        ConfigError: a value out of range.

    Example:
        >>> lb = LoadBalancer("sale-lb", policy="least_connections")
        >>> lb.policy
        'least_connections'
    """

    def __init__(self, name: str, *, policy: str = "round_robin",
                 max_connections: int | None = None, health_interval_ms: int = 500,
                 unhealthy_threshold: int = 2, keep_routes: bool = False) -> None:
        check_policy(policy)
        for key, value in (("health_interval_ms", health_interval_ms),
                           ("unhealthy_threshold", unhealthy_threshold)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{key} must be a whole number >= 1, got {value!r}")
        if max_connections is not None and (isinstance(max_connections, bool) or not
                                            isinstance(max_connections, int)
                                            or max_connections < 1):
            raise ConfigError(f"max_connections must be None or a whole number >= 1, "
                              f"got {max_connections!r}")
        super().__init__(name)
        self.policy = policy
        self.max_connections = max_connections
        self.health_interval_ms = health_interval_ms
        self.unhealthy_threshold = unhealthy_threshold
        self.backends: list[str] = []           # in rotation order
        self.healthy: dict[str, bool] = {}
        self.in_flight: dict[str, int] = {}     # replica -> requests it holds
        self.waiting: deque = deque()           # (call, src) held here (max_connections)
        self.health_log: list[tuple[int, str, str]] = []   # (time, replica, "down"/"up")
        self.routes: list[tuple[int, str]] | None = [] if keep_routes else None
        self.routed = self.refused = self.failed = 0
        self._owner: dict[tuple, str] = {}      # (origin, n) -> replica holding it
        self._next = 0
        self._misses: dict[str, int] = {}      # unanswered pings in a row
        self._pending: dict[str, bool] = {}     # last ping not yet answered
        self._ping_seq = 0
        self._checking = False

    # -- membership -----------------------------------------------------------------------
    def add_backend(self, name: str) -> None:
        """Put replica ``name`` into rotation (healthy until its pings go unanswered)."""
        if name in self.backends:
            raise ConfigError(f"{name!r} is already behind {self.name!r}")
        self.backends.append(name)
        self.healthy[name] = True
        self.in_flight.setdefault(name, 0)
        self._misses[name] = 0
        self._pending[name] = False
        if not self._checking:
            self._checking = True
            self.set_timer(self.health_interval_ms, self.on_health_timer, daemon=True)
        self._drain_waiting()

    def remove_backend(self, name: str) -> None:
        """Take replica ``name`` out of rotation; what it holds still finishes (draining)."""
        if name not in self.backends:
            raise UnknownNameError("backend", name, self.backends)
        self.backends.remove(name)
        self.healthy.pop(name)
        self._misses.pop(name)
        self._pending.pop(name)

    def routable(self) -> list[str]:
        """Replicas in rotation and not detected down, in rotation order."""
        return [b for b in self.backends if self.healthy[b]]

    # -- requests -------------------------------------------------------------------------
    def handle_call(self, msg, src: str) -> None:
        if not self.routable():
            # No healthy replica: refuse at once (HTTP 503), a definite failure.
            self.refused += 1
            self.send(msg.origin, Rejected(msg, self.name, "no healthy backend"))
            return
        if not self._dispatch(msg):
            self.waiting.append(msg)

    def _dispatch(self, msg) -> bool:
        candidates = self.routable()
        if self.max_connections is not None:
            candidates = [b for b in candidates if self.in_flight[b] < self.max_connections]
            if not candidates:
                return False
        if self.policy == "least_connections":
            # Ties go to the earliest replica in rotation order (deterministic).
            target = min(candidates, key=lambda b: self.in_flight[b])
        elif self.policy == "random":
            target = candidates[self.rng("route").randrange(len(candidates))]
        else:
            order = self.backends
            for step in range(len(order)):
                name = order[(self._next + step) % len(order)]
                if name in candidates:
                    self._next = (self._next + step + 1) % len(order)
                    target = name
                    break
        self.in_flight[target] += 1
        self._owner[(msg.origin, msg.n)] = (target, msg)
        self.routed += 1
        if self.routes is not None:
            self.routes.append((self.now, target))
        self.send(target, msg)
        return True

    def _settle(self, origin: str, n: int) -> bool:
        held = self._owner.pop((origin, n), None)
        if held is None:
            return False       # already failed when its replica was detected down
        self.in_flight[held[0]] -= 1
        self._drain_waiting()
        return True

    def _drain_waiting(self) -> None:
        while self.waiting and self._dispatch(self.waiting[0]):
            self.waiting.popleft()

    def handle_done(self, msg, src: str) -> None:
        if self._settle(msg.origin, msg.n):
            self.send(msg.origin, msg)

    def handle_rejected(self, msg: Rejected, src: str) -> None:
        call = msg.request
        if self._settle(call.origin, call.n):
            self.send(call.origin, msg)

    # -- health checks --------------------------------------------------------------------
    def on_health_timer(self) -> None:
        self._ping_seq += 1
        for name in list(self.backends):
            if self._pending[name]:
                self._misses[name] += 1
                if self._misses[name] >= self.unhealthy_threshold and self.healthy[name]:
                    self._mark_down(name)
            self._pending[name] = True
            self.send(name, Ping(self._ping_seq))
        self.set_timer(self.health_interval_ms, self.on_health_timer, daemon=True)

    def handle_pong(self, msg, src: str) -> None:
        if src not in self._misses:
            return                       # removed since the ping
        self._misses[src] = 0
        self._pending[src] = False
        if not self.healthy[src]:
            self.healthy[src] = True
            self.health_log.append((self.now, src, "up"))
            self.trace("health", f"{src} up", peer=src, state="up")
            self._drain_waiting()

    # -- its own faults -------------------------------------------------------------------
    def on_crash(self) -> None:
        # A balancer's connection table and queue are volatile: the callers of what it held
        # hear nothing (they time out); the replies that come back later find no owner.
        self._owner.clear()
        self.waiting.clear()
        self.in_flight = dict.fromkeys(self.in_flight, 0)
        self._checking = False

    def on_restart(self) -> None:
        for name in self.backends:           # no ping is outstanding after a restart
            self._pending[name] = False
        if self.backends:
            self._checking = True
            self.set_timer(self.health_interval_ms, self.on_health_timer, daemon=True)

    def _mark_down(self, name: str) -> None:
        self.healthy[name] = False
        self.health_log.append((self.now, name, "down"))
        self.trace("health", f"{name} down", peer=name, state="down")
        # What it held is gone with it: tell the callers now rather than let them time out.
        lost = sorted(key for key, held in self._owner.items() if held[0] == name)
        for key in lost:
            msg = self._owner.pop(key)[1]
            self.failed += 1
            self.send(msg.origin, Failed(msg, f"{name} detected down"))
        self.in_flight[name] = 0
        if not self.routable():
            while self.waiting:
                msg = self.waiting.popleft()
                self.refused += 1
                self.send(msg.origin, Rejected(msg, self.name, "no healthy backend"))
