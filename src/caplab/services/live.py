"""A shop you run in steps: the stepping facade behind the live monitoring panel.

The shop of :mod:`caplab.services.scenarios` with its services split (the sale service on 2-core
4 GB machines under an autoscaler that also replaces crashed instances, catalog and checkout on
one machine each), users
calling it open loop through a circuit breaker per service (resilience4j's rules, see
:mod:`caplab.resilience.breaker`), and the faults an operator injects to test it: a slow
instance, a failing instance (HTTP 500s), a crashed instance, a partition cutting an instance
off, and the sale spike. A nemesis injects the same faults on a seeded schedule (Jepsen's
nemesis; Netflix's Chaos Monkey). ``run_for`` advances simulated time and returns the
dashboard's series (:func:`caplab.services.monitor.time_series` plus the breaker's state), which
grow as the shop runs.

Example:
    >>> shop = LiveShop(seed=1)
    >>> s = shop.run_for(3_000)
    >>> len(s["t_ms"]), s["breaker"][-1], s["instances"][-1]
    (3, 'CLOSED', 2)
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import ConfigError, UnknownNameError
from ..resilience.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from ..resilience.config import BreakerConfig
from ..resilience.monitor import breaker_series
from .autoscaler import Autoscaler
from .capacity import Machine
from .deployment import Deployment
from .load import LoadClient, LoadProfile
from .monitor import time_series
from .scenarios import REST_MACHINES, WORKING_SETS

__all__ = ["LiveShop", "GuardedLoadClient", "FAULTS", "BREAKER_LEVELS"]

FAULTS = ("slow", "failing", "crash", "partition", "spike")
#: breaker state -> a number a chart can draw
BREAKER_LEVELS = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}
#: the users' breaker on each service: lab-scale numbers (resilience4j's defaults wait 60 s)
LIVE_BREAKER = BreakerConfig(failure_rate_threshold=50, sliding_window_size=20,
                             minimum_number_of_calls=10, wait_duration_in_open_state_ms=2_000,
                             permitted_number_of_calls_in_half_open_state=5,
                             slow_call_duration_threshold_ms=1_000, name="live")
SALE_MACHINE = Machine("sale", cores=2, speed=1.0, memory_gb=4.0)


class GuardedLoadClient(LoadClient):
    """A :class:`LoadClient` that calls each target through its own circuit breaker: refused at
    once while it is OPEN (a definite error, no load on the service), and every answer, error
    or timeout recorded in the breaker's window."""

    def __init__(self, name: str, profile: LoadProfile, routes: dict[str, str], *,
                 breaker: BreakerConfig, timeout_ms: int = 1_000) -> None:
        if not isinstance(breaker, BreakerConfig):
            raise ConfigError(f"breaker must be a BreakerConfig, got {breaker!r}")
        super().__init__(name, profile, routes, timeout_ms=timeout_ms)
        self.config = breaker
        self.breakers: dict[str, CircuitBreaker] = {}
        self._held: dict[int, tuple] = {}          # n -> (breaker, permit, sent_ms)

    def start(self) -> None:
        for target in sorted(set(self.routes.values())):
            self.breakers[target] = CircuitBreaker(self.config, sim=self.sim,
                                                   name=f"{self.name}->{target}")
        super().start()

    def _send(self, feature: str) -> None:
        breaker = self.breakers[self.routes[feature]]
        permit = breaker.acquire()
        if permit is None:              # OPEN: fail fast, the service is not asked
            self.sent += 1
            self.sent_ms.append(self.now)
            self.feature.append(feature)
            self.end_ms.append(self.now)
            self.status.append("rejected")
            return
        super()._send(feature)
        self._held[self.sent] = (breaker, permit, self.now)
        self.set_timer(self.timeout_ms, self._expire, self.sent)

    def _expire(self, n: int) -> None:
        if n in self._held:
            self._answer(n, "timeout")

    def _answer(self, n: int, status: str) -> None:
        held = self._held.pop(n, None)
        if held is not None:
            breaker, permit, sent = held
            breaker.on_result(permit, duration_ms=self.now - sent, failed=status != "ok")
        super()._answer(n, status)


class LiveShop:
    """The shop, run in steps, with faults injected by hand or by a nemesis.

    Args:
        seed: the one seed (arrivals, service times, the nemesis's schedule).
        rate_per_s: normal traffic (the spike is ten times it, all for the sale).
        breaker: the users' breaker per service (None: :data:`LIVE_BREAKER`).
        nemesis: inject random faults on a seeded schedule from the start.
        window_ms: the dashboard's window.

    Raises:
        ConfigError: a bad value, named.
    """

    def __init__(self, *, seed: int = 1, rate_per_s: float = 20.0,
                 breaker: BreakerConfig | None = None, nemesis: bool = False,
                 window_ms: int = 1_000) -> None:
        if isinstance(window_ms, bool) or not isinstance(window_ms, int) or window_ms < 1:
            raise ConfigError(f"window_ms must be a whole number >= 1, got {window_ms!r}")
        self.window_ms = window_ms
        self.deployment = d = Deployment(seed=seed)
        self.sale = d.add_tier("sale", machine=SALE_MACHINE,
                               features={"sale": WORKING_SETS["sale"]}, instances=0,
                               policy="least_connections")
        for feature in ("catalog", "checkout"):
            d.add_tier(feature, machine=REST_MACHINES[feature],
                       features={feature: WORKING_SETS[feature]},
                       instances=1, policy="least_connections")
        Autoscaler(d, "sale", target_utilisation=0.6, min_instances=2, max_instances=6,
                   cooldown_ms=2_000, startup_ms=4_000).start()
        routes = {f: t.balancer.name for t in d.tiers.values() for f in t.features}
        self.users = GuardedLoadClient("users", LoadProfile(rate_per_s, duration_ms=10 ** 9),
                                       routes, breaker=breaker or LIVE_BREAKER)
        d.world.add_client(self.users, near=self.sale.balancer.name)
        d.loads.append(self.users)
        self.users.start()
        self._open: dict[str, tuple] = {}   # label -> (band record, crashed names)
        self.nemesis_on = False
        if nemesis:
            self.set_nemesis(True)

    @property
    def now(self) -> int:
        return self.deployment.now

    def targets(self) -> list[str]:
        """The sale instances a fault can hit (live, not retired)."""
        return [i.name for i in self.sale.live]

    # -- time ------------------------------------------------------------------------------
    def run_for(self, ms: int) -> dict:
        """Advance ``ms`` of simulated time; return :meth:`series`.

        Raises:
            ConfigError: ``ms`` not a whole number >= 1.
        """
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 1:
            raise ConfigError(f"run for a whole number of ms >= 1, got {ms!r}")
        self.deployment.run(self.now + ms)
        return self.series()

    def run(self, until: int) -> None:
        """Advance to simulated time ``until`` (what a replay of the panel's log calls)."""
        self.deployment.run(until)

    def series(self) -> dict:
        """The dashboard's series so far: :func:`~caplab.services.monitor.time_series` of the
        deployment plus ``breaker`` (the sale breaker's state at each window's end) and
        ``breaker_level`` (0 closed, 1 half-open, 2 open)."""
        s = time_series(self.deployment, window_ms=self.window_ms, tier="sale")
        sale = self.users.breakers[self.sale.balancer.name]
        rows = breaker_series(sale.transitions, until_ms=self.now, bucket_ms=self.window_ms)
        states = [r["state"] for r in rows][:len(s["t_ms"])]
        s["breaker"] = states
        s["breaker_level"] = [BREAKER_LEVELS[x] for x in states]
        return s

    # -- faults ----------------------------------------------------------------------------
    def inject(self, fault: str, target: str | None = None, *, spike_ms: int = 20_000) -> str:
        """Inject ``fault`` (one of :data:`FAULTS`) on sale instance ``target`` (default: the
        first; ``"all"``: every live one, the whole service); returns the fault's label (its
        band on the dashboard). A crash through here is healed by :meth:`heal`.

        Raises:
            UnknownNameError: an unknown fault or instance (the allowed ones named).
        """
        if fault not in FAULTS:
            raise UnknownNameError("fault", fault, FAULTS)
        now = self.now
        if fault == "spike":
            u = self.users
            u.profile = replace(u.profile, spike_start_ms=now, spike_end_ms=now + spike_ms)
            self.deployment.marks.append((now, now + spike_ms, "sale spike"))
            return "sale spike"
        names = self.targets()
        target = names[0] if target is None and names else target
        if target != "all" and target not in names:
            raise UnknownNameError("sale instance", target, [*names, "all"])
        hit = names if target == "all" else [target]
        what = {"crash": "crashed", "partition": "cut off"}.get(fault, fault)
        label = f"{'sale (all)' if target == 'all' else target} {what}"
        if fault == "partition":
            self.deployment.world.partition(list(hit))   # cut off from balancer and users
        for name in hit:
            inst = self.deployment.world.network.endpoints[name]
            if fault == "crash":
                self.deployment.world.crash(name)
            elif fault == "slow":
                inst.make_slow(10.0)
            elif fault == "failing":
                inst.make_failing(0.9)      # lost its database: most requests answer 500
        record = [now, None, label]
        self.deployment.faults.append(record)
        self._open[label] = (record, hit if fault == "crash" else [])
        return label

    def heal(self) -> None:
        """End every fault: restart crashed instances, heal the network, make instances
        healthy; their bands end now (a spike runs its course)."""
        world = self.deployment.world
        for record, crashed in self._open.values():
            for name in crashed:
                world.restart(name)
            record[1] = self.now
        self._open.clear()
        world.heal()
        for inst in self.sale.instances:
            inst.make_healthy()

    def set_nemesis(self, on: bool) -> None:
        """Start (or stop) a nemesis: every 8-15 s a random fault on a random sale instance
        for 3-6 s, then heal (drawn from the stream ``live.nemesis``)."""
        was = self.nemesis_on
        self.nemesis_on = bool(on)
        if self.nemesis_on and not was:
            self._schedule_nemesis()

    def _schedule_nemesis(self) -> None:
        rng = self.deployment.world.sim.rng("live.nemesis")
        self.deployment.world.sim.schedule(rng.randint(8_000, 15_000), self._strike,
                                           daemon=True)

    def _strike(self) -> None:
        if not self.nemesis_on:
            return
        rng = self.deployment.world.sim.rng("live.nemesis")
        names = self.targets()
        if names:
            self.inject(rng.choice(FAULTS[:4]), rng.choice(names))
            self.deployment.world.sim.schedule(rng.randint(3_000, 6_000), self.heal,
                                               daemon=True)
        self._schedule_nemesis()
