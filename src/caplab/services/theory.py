"""Queueing theory the simulator must agree with, and the runs that compare them: M/M/c mean
response time (Erlang C), one fast server against several slow ones, load balancing against one
shared queue, and the Universal Scalability Law for replicas sharing one database.

*Erlang C* (Kleinrock, Queueing Systems vol. 1; Harchol-Balter, Performance Modeling and Design
of Computer Systems, ch. 14): with ``c`` servers of rate ``mu`` and Poisson arrivals ``lambda``
(offered load ``a = lambda / mu``, ``rho = a / c``), an arrival waits with probability
``C(c, a)`` and the mean response time is ``C(c, a) / (c mu - lambda) + 1 / mu``.

*A balancer is not one queue.* M/M/c has one queue feeding ``c`` servers: a request waits only
if every server is busy. A balancer that routes each request at once to one of ``c``
single-worker replicas commits it to that replica's queue, where it may wait while another
replica sits idle. Random routing splits a Poisson stream into ``c`` Poisson streams of rate
``lambda / c``: exactly ``c`` independent M/M/1 queues, each with the response time of M/M/1 at
the same ``rho`` (``c`` times M/M/c's wait at low load). Round robin spaces each replica's
arrivals more evenly (Erlang-``c`` gaps) and does better; least connections (join the shortest
queue) does better still and comes close to M/M/c, but not to it. A balancer that holds requests
itself and gives each replica one at a time (HAProxy's ``maxconn 1`` with its queue) *is* M/M/c.

*Universal Scalability Law* (Gunther, Guerrilla Capacity Planning, 2007):
``C(N) = N / (1 + alpha (N - 1) + beta N (N - 1))``: ``alpha`` is contention (a serial share,
Amdahl), ``beta`` coherency (every replica keeping every other in step); throughput peaks at
``N* = sqrt((1 - alpha) / beta)`` and then falls. Gunther fits ``alpha`` and ``beta`` by least
squares on the linearised form ``N / C(N) - 1 = alpha (N - 1) + beta N (N - 1)``, a quadratic
through the origin (:func:`fit_usl`).
"""

from __future__ import annotations

import math

from ..errors import ConfigError
from ..net.endpoint import Endpoint
from ..net.latency import Exponential
from ..net.message import message
from ..net.service import Service
from ..world.world import World
from .capacity import Machine
from .deployment import Deployment
from .load import LoadProfile

__all__ = ["erlang_c", "mmc_response_ms", "usl_capacity", "usl_peak", "fit_usl",
           "balanced_response_ms", "usl_throughput"]


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a = lambda / mu`` < c.

    Example:
        >>> round(erlang_c(2, 1.0), 4)
        0.3333
    """
    if not 0 <= a < c:
        raise ConfigError(f"offered load a={a!r} must lie in [0, c={c}) for a stable queue")
    top = a ** c / math.factorial(c) / (1 - a / c)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def mmc_response_ms(c: int, rate_per_ms: float, mean_service_ms: float) -> float:
    """Mean response time of M/M/c: ``C(c, a) / (c mu - lambda) + 1 / mu``.

    Example:
        >>> round(mmc_response_ms(1, 0.005, 100))      # M/M/1 at rho = 0.5: 1 / (mu - lambda)
        200
    """
    mu = 1 / mean_service_ms
    return erlang_c(c, rate_per_ms / mu) / (c * mu - rate_per_ms) + mean_service_ms


def usl_capacity(n: float, alpha: float, beta: float) -> float:
    """Relative capacity ``C(N) = N / (1 + alpha (N - 1) + beta N (N - 1))``."""
    return n / (1 + alpha * (n - 1) + beta * n * (n - 1))


def usl_peak(alpha: float, beta: float) -> float:
    """Where ``C(N)`` peaks: ``sqrt((1 - alpha) / beta)`` (infinite without coherency cost)."""
    return math.inf if beta <= 0 else math.sqrt((1 - alpha) / beta)


def fit_usl(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares ``alpha`` and ``beta`` from ``[(N, throughput)]`` (``N = 1`` included).

    Solves the normal equations of ``y = alpha x1 + beta x2`` with ``y = N / C(N) - 1``,
    ``x1 = N - 1``, ``x2 = N (N - 1)`` and ``C(N) = X(N) / X(1)``.

    Raises:
        ConfigError: no point at ``N = 1``, or fewer than two other points.

    Example:
        >>> pts = [(n, 10 * usl_capacity(n, 0.05, 0.01)) for n in (1, 2, 4, 8, 16)]
        >>> [round(v, 4) for v in fit_usl(pts)]
        [0.05, 0.01]
    """
    base = dict(points).get(1)
    others = [(n, x) for n, x in points if n != 1]
    if base is None or len(others) < 2:
        raise ConfigError(f"fit_usl needs N=1 and at least two other points, got {points!r}")
    s11 = s12 = s22 = s1y = s2y = 0.0
    for n, x in others:
        x1, x2, y = n - 1, n * (n - 1), n / (x / base) - 1
        s11, s12, s22 = s11 + x1 * x1, s12 + x1 * x2, s22 + x2 * x2
        s1y, s2y = s1y + x1 * y, s2y + x2 * y
    det = s11 * s22 - s12 * s12
    return (s1y * s22 - s2y * s12) / det, (s11 * s2y - s12 * s1y) / det


def balanced_response_ms(replicas: int, *, rate_per_ms: float, mean_service_ms: float,
                         policy: str = "least_connections", max_connections: int | None = None,
                         shared_queue: bool = False, count: int = 20_000,
                         seed: int = 1) -> float:
    """Mean response time of Poisson load on ``replicas`` single-worker instances behind a
    balancer (or, with ``shared_queue``, on one instance with ``replicas`` workers: M/M/c).

    The network is instant (latency 0), memory ample, so only queueing counts.

    Example:
        >>> round(balanced_response_ms(2, rate_per_ms=0.01, mean_service_ms=100,
        ...                            shared_queue=True), 1)   # M/M/2, rho 0.5: 133.3 in theory
        133.7
    """
    d = Deployment(seed=seed, latency=0)
    cores, copies = (replicas, 1) if shared_queue else (1, replicas)
    d.add_tier("q", machine=Machine("m", cores=cores, memory_gb=64), features={"job": 1},
               instances=copies, policy=policy, base_service_ms=mean_service_ms,
               max_connections=max_connections)
    duration = int(count / rate_per_ms)
    client = d.add_load("load", LoadProfile(rate_per_ms * 1000, mix=(("job", 1),),
                                            duration_ms=duration))
    d.run(duration)
    d.run_until_idle(max_events=10 * count + 100_000)
    times = [e - s for s, e, st in zip(client.sent_ms, client.end_ms, client.status)
             if st == "ok"]
    return sum(times) / len(times)


@message
class Query:
    """A database transaction from an app replica."""
    replica: str


class AppReplica(Endpoint):
    """A closed loop: compute for ``app_ms`` (exponential), then one transaction on the shared
    database, then again; counts finished rounds."""

    def __init__(self, name: str, app_ms: float) -> None:
        super().__init__(name)
        self.app_ms, self.rounds = app_ms, []

    def start(self) -> None:
        self._compute()

    def _compute(self) -> None:
        gap = int(self.rng("app").expovariate(1 / self.app_ms) + 0.5)
        self.set_timer(gap, self.send, "db", Query(self.name))

    def handle_query(self, msg, src: str) -> None:      # the database's answer
        self.rounds.append(self.now)
        self._compute()


def usl_throughput(replicas: int, *, app_ms: float = 50.0, lock_ms: float = 4.0,
                   coherency_ms: float = 0.4, duration_ms: int = 30_000, warmup_ms: int = 2_000,
                   seed: int = 1) -> float:
    """Rounds per second of ``replicas`` app replicas sharing one database.

    Each round is ``app_ms`` of the replica's own work (parallel), then a transaction the
    database serialises (one worker: a lock) for ``lock_ms`` (contention) plus
    ``coherency_ms`` for each other replica whose cache it must keep in step (coherency: the
    cost grows with ``N - 1``, as with cache invalidations to every peer).

    Example:
        >>> round(usl_throughput(1))        # one replica: 1000 / (50 + 4) rounds/s at most
        19
    """
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ConfigError(f"replicas must be a whole number >= 1, got {replicas!r}")
    world = World(seed=seed, latency=0, trace=False)
    db_ms = lock_ms + coherency_ms * (replicas - 1)
    world.add_node(Service("db", workers=1, service_time=Exponential(1 / db_ms),
                           handler=lambda svc, msg, src: msg))
    apps = [AppReplica(f"app-{k}", app_ms) for k in range(1, replicas + 1)]
    for app in apps:
        world.add_node(app)
        app.start()
    world.run(duration_ms)
    done = sum(1 for app in apps for t in app.rounds if t >= warmup_ms)
    return done * 1000 / (duration_ms - warmup_ms)
