"""A flapping dependency and the objective a caller's policy must keep while it flaps (lab 11).

The dependency (4 workers, 5-15 ms a request: about 400 requests/s) is healthy most of the
time, but on a seeded schedule it has bad periods of three kinds: ``failing`` (it answers half
its requests with an error at once: transient faults, the case retries are for), ``slow`` (each
request takes 300-600 ms: a GC storm, a bad disk) and ``down`` (crashed: no answer at all). The
users call it open loop at 100 calls/s; at the end of every ``down`` period a batch of clients
that lost their connections in the failover reconnect *together* (``burst`` calls in the same
millisecond), the correlated start that turns un-jittered retries into waves (AWS Architecture
Blog, "Exponential Backoff and Jitter"; AWS Builders' Library, "Timeouts, retries and backoff
with jitter": "when failures are caused by overload or contention, backing off often doesn't
help as much as it seems like it should ... add jitter").

What is measured, at the caller and at the dependency (all plain numbers):

- ``success_rate``: the share of calls answered by the dependency (not by an error or a timeout);
- ``p99_ms``: the 99th percentile of the time users waited for *any* answer, success or error
  (a user waits either way; failing fast is what a breaker is for);
- ``amplification``: requests that reached the dependency per call (retries add load);
- ``peak_load``: the most requests that reached the dependency in any 100 ms window, as a share
  of what it can serve in 100 ms (above 1, it queues: a retry wave).

Example:
    >>> r = run_flapping({"timeout_ms": 100}, seed=1)
    >>> 0 < r["success_rate"] < 1
    True
"""

from __future__ import annotations

import random

from ..errors import ConfigError
from ..net.latency import Uniform
from ..world import World
from .backoff import Retry
from .config import BreakerConfig
from .dependency import Dependency
from .load import add_caller, open_loop
from .monitor import percentile

__all__ = ["KINDS", "flap_schedule", "run_flapping", "run_reconnect", "DEP_WORKERS", "DEP_MEAN_MS",
           "RATE_PER_S", "DURATION_MS", "BURST"]

KINDS = ("failing", "slow", "down")
DEP_WORKERS = 4
DEP_MEAN_MS = 10
RATE_PER_S = 100
DURATION_MS = 20_000
BURST = 60
#: what the dependency can serve in 100 ms (workers x 100 / mean service time)
CAPACITY_PER_100MS = DEP_WORKERS * 100 / DEP_MEAN_MS


def flap_schedule(seed: int, *, duration_ms: int = DURATION_MS,
                  start_ms: int = 1_500) -> list[tuple[int, int, str]]:
    """The dependency's bad periods: ``[(start_ms, end_ms, kind), ...]``, healthy in between
    (1.5 to 3 s healthy, then 0.5 to 1.5 s bad), drawn from the seed; every kind appears.

    Example:
        >>> sorted({k for _, _, k in flap_schedule(1)})
        ['down', 'failing', 'slow']
    """
    rng = random.Random(f"flapping-{seed}")
    periods, t, i = [], start_ms, 0
    kinds = list(KINDS)
    rng.shuffle(kinds)
    while True:
        start = t + rng.randint(1_500, 3_000)
        end = start + rng.randint(500, 1_500)
        if end > duration_ms - 1_000:
            break
        kind = kinds[i] if i < len(kinds) else rng.choice(KINDS)
        periods.append((start, end, kind))
        t, i = end, i + 1
    return periods


def _apply(world, dep: Dependency, kind: str, on: bool) -> None:
    if kind == "failing":
        dep.make_failing(0.5 if on else 0.0)
    elif kind == "slow":
        dep.make_slow(("uniform", 300, 600) if on else ("uniform", 5, 15))
    elif on:
        world.crash(dep.name)
    else:
        world.restart(dep.name)


def _policy(policy: dict) -> dict:
    known = ("timeout_ms", "retry", "breaker", "bulkhead", "fallback")
    for key in sorted(policy):
        if key not in known:
            raise ConfigError(f"unknown policy option {key!r}; allowed: {', '.join(known)}")
    if policy.get("retry") is not None and not isinstance(policy["retry"], Retry):
        raise ConfigError(f"retry must be a Retry, got {policy['retry']!r}")
    if policy.get("breaker") is not None and not isinstance(policy["breaker"], BreakerConfig):
        raise ConfigError(f"breaker must be a BreakerConfig, got {policy['breaker']!r}")
    return {k: v for k, v in policy.items() if v is not None}


def run_flapping(policy: dict, seed: int, *, duration_ms: int = DURATION_MS,
                 burst: int = BURST) -> dict:
    """Users call the flapping dependency through ``policy`` for ``duration_ms``.

    Args:
        policy: :class:`~caplab.resilience.pipeline.ResilientCaller` options: ``timeout_ms``,
            ``retry`` (a :class:`Retry`), ``breaker`` (a :class:`BreakerConfig` or None).
        seed: the seed (the schedule, the arrivals, the service times).
        burst: calls made together by reconnecting clients at the end of each ``down``.

    Returns:
        ``{"seed", "schedule", "calls", "success_rate", "p99_ms", "amplification",
        "peak_load", "peak_at_ms", "opened"}`` (``opened``: times the breaker opened) and
        ``"caller"`` (for monitoring views).

    Raises:
        ConfigError: a bad policy, named.
    """
    options = _policy(policy)
    world = World(seed=seed, latency=Uniform(1, 3), trace=False)
    dep = Dependency("dep", workers=DEP_WORKERS, latency=("uniform", 5, 15))
    world.add_node(dep)
    users = add_caller(world, "users", "dep", record_history=False, **options)
    open_loop(users, rate_per_s=RATE_PER_S, duration_ms=duration_ms)
    schedule = flap_schedule(seed, duration_ms=duration_ms)
    for start, end, kind in schedule:
        world.sim.schedule_at(start, _apply, world, dep, kind, True)
        world.sim.schedule_at(end, _apply, world, dep, kind, False)
        if kind == "down" and burst:
            world.sim.schedule_at(end, _burst, users, burst)
    world.run(until=duration_ms)
    world.run_until_idle(max_events=5_000_000)
    records = users.records
    windows: dict[int, int] = {}
    for t in dep.arrivals:
        windows[t // 100] = windows.get(t // 100, 0) + 1
    peak_window = max(windows, key=lambda k: (windows[k], -k)) if windows else 0
    opened = (sum(t.to_state == "OPEN" for t in users.breaker.transitions)
              if users.breaker is not None else 0)
    return {"seed": seed, "schedule": schedule, "calls": len(records),
            "success_rate": sum(r["outcome"] == "ok" for r in records) / len(records),
            "p99_ms": percentile([r["latency_ms"] for r in records], 99),
            "amplification": len(dep.arrivals) / len(records),
            "peak_load": windows.get(peak_window, 0) / CAPACITY_PER_100MS,
            "peak_at_ms": peak_window * 100, "opened": opened, "caller": users}


def _burst(caller, n: int) -> None:
    for _ in range(n):
        if caller.owner.up:
            caller.call()


def run_reconnect(policy: dict, seed: int, *, clients: int = 100,
                  outage_ms: int = 300) -> dict:
    """The failover case: ``clients`` separate client processes (each with its own breaker,
    which has seen nothing yet) each make one call while the dependency is down for
    ``outage_ms``; their calls fail together, so their retries are correlated.

    Returns:
        ``{"seed", "prolonged_ms" (the last call's end after the restart), "gave_up",
        "peak_load" (as in :func:`run_flapping`), "peak_at_ms"}``.

    Example:
        >>> from caplab.resilience import Backoff
        >>> none = {"timeout_ms": 100, "retry": Retry(6, Backoff("none", base_ms=50))}
        >>> full = {"timeout_ms": 100, "retry": Retry(6, Backoff("full", base_ms=50))}
        >>> run_reconnect(none, 1)["peak_load"] > run_reconnect(full, 1)["peak_load"]
        True
    """
    options = _policy(policy)
    world = World(seed=seed, latency=Uniform(1, 3), trace=False)
    dep = Dependency("dep", workers=DEP_WORKERS, latency=("uniform", 5, 15))
    world.add_node(dep)
    callers = [add_caller(world, f"u{i}", "dep", record_history=False, **options)
               for i in range(clients)]
    world.crash("dep")
    world.sim.schedule(outage_ms, world.restart, "dep")
    for c in callers:
        c.call()
    world.run_until_idle(max_events=5_000_000)
    records = [r for c in callers for r in c.records]
    windows: dict[int, int] = {}
    for t in dep.arrivals:
        windows[t // 100] = windows.get(t // 100, 0) + 1
    peak = max(windows, key=lambda k: (windows[k], -k)) if windows else 0
    return {"seed": seed, "prolonged_ms": max(r["complete_ms"] for r in records) - outage_ms,
            "gave_up": sum(r["outcome"] != "ok" for r in records),
            "peak_load": windows.get(peak, 0) / CAPACITY_PER_100MS, "peak_at_ms": peak * 100}
