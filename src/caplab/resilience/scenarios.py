"""The failing-fast scenarios, a seed in and plain facts out: a cascading failure and its
containment, and a retry storm with and without jitter.

Cascade (Nygard, "Release It!", chapter "Cascading Failures"; the Hystrix wiki's "How it
Works"): users call ``front`` (8 workers); half their requests need ``back`` (4 workers). At
``fault_ms`` ``back`` turns slow (2 s a request). ``front``'s workers wait for ``back``, its
queue grows, and the users' calls time out, also those that never needed ``back``: the chain
stops answering. A timeout on front's call to back, a breaker (with a timeout and a fallback) or
a bulkhead contains it.

Retry storm (AWS "Exponential Backoff and Jitter"; AWS Builders' Library, "Timeouts, retries
and backoff with jitter"): closed-loop clients call one dependency, which crashes for an outage
and comes back. Their calls failed together, so without jitter their retries come back
together, in waves that overflow the dependency's workers and time out again: the outage lasts
longer than the crash. With jitter the retries spread out and it recovers sooner.
"""

from __future__ import annotations

from ..errors import UnknownNameError
from ..net.latency import Uniform
from ..world import World
from .backoff import Backoff, Retry
from .bulkhead import Bulkhead
from .config import BreakerConfig
from .dependency import Dependency
from .load import add_caller, open_loop
from .monitor import percentile
from .pipeline import ResilientCaller

__all__ = ["PROTECTIONS", "cascade", "retry_storm", "percentile"]

#: front's protections on its call to back (lab scale: small numbers)
PROTECTIONS = ("none", "timeout", "breaker", "bulkhead")


def _front_policy(protection: str) -> dict:
    if protection not in PROTECTIONS:
        raise UnknownNameError("protection", protection, PROTECTIONS)
    # "none": a timeout so long it never fires in the run (many clients' default is none).
    policy = {"timeout_ms": 60_000}
    if protection == "timeout":
        policy["timeout_ms"] = 100
    elif protection == "breaker":
        # Hystrix pairs its breaker with a timeout: timeouts are the failures it counts.
        policy["timeout_ms"] = 250
        policy["breaker"] = BreakerConfig(minimum_number_of_calls=10, sliding_window_size=20,
                                          slow_call_duration_threshold_ms=300,
                                          slow_call_rate_threshold=50.0,
                                          wait_duration_in_open_state_ms=2000,
                                          permitted_number_of_calls_in_half_open_state=2,
                                          name="lab")
        policy["fallback"] = lambda error: "default"
    elif protection == "bulkhead":
        policy["bulkhead"] = Bulkhead(max_concurrent_calls=3, max_wait_ms=0)
    return policy


def cascade(protection: str = "none", *, seed: int = 1, rate_per_s: float = 100.0,
            fault_ms: int = 1000, duration_ms: int = 6000, slow_ms: int = 2000) -> dict:
    """Users -> front -> back; back turns slow at ``fault_ms``; measure what users see.

    Args:
        protection: front's protection on its call to back, one of :data:`PROTECTIONS`.

    Returns:
        ``{"protection", "error_rate", "local_error_rate", "p50_ms", "p99_ms", "calls",
        "front_max_queue", "transitions"}`` over the users' calls made after the fault.

    Example:
        >>> cascade("none")["local_error_rate"] > 0.5
        True
    """
    policy = _front_policy(protection)
    world = World(seed=seed, latency=Uniform(1, 3))
    back = Dependency("back", workers=4, latency=("uniform", 5, 15))
    front = Dependency("front", workers=8, latency=("uniform", 2, 6))
    world.add_node(back)
    world.add_node(front)
    to_back = ResilientCaller(front, "back", world=world, **policy)
    front.call_downstream(lambda payload: to_back if payload == "back" else None)
    users = add_caller(world, "users", "front", timeout_ms=1000)
    open_loop(users, rate_per_s=rate_per_s, duration_ms=duration_ms,
              payload=lambda n: "back" if n % 2 else "local")
    world.sim.schedule(fault_ms, back.make_slow, slow_ms)
    max_queue = [0]

    def watch():
        max_queue[0] = max(max_queue[0], front.queue_length)
        if world.now < duration_ms:
            world.sim.schedule(10, watch)

    watch()
    world.run(until=duration_ms + 2000)
    after = [r for r in users.records if r["invoke_ms"] >= fault_ms]
    local = [r for r in after if users.world.history[r["id"]].input == "local"]
    failed = [r for r in after if r["outcome"] != "ok"]
    return {"protection": protection, "calls": len(after),
            "error_rate": len(failed) / len(after),
            "local_error_rate": sum(r["outcome"] != "ok" for r in local) / len(local),
            "p50_ms": percentile([r["latency_ms"] for r in after], 50),
            "p99_ms": percentile([r["latency_ms"] for r in after], 99),
            "front_max_queue": max_queue[0],
            "transitions": [t.record() for t in (to_back.breaker.transitions
                                                 if to_back.breaker else [])]}


def retry_storm(jitter: str = "none", *, seed: int = 1, clients: int = 100,
                outage_ms: tuple[int, int] = (0, 1000), max_attempts: int = 10,
                timeout_ms: int = 100) -> dict:
    """``clients`` clients each make one call at the start of an outage (a batch job, clients
    reconnecting after a failover); the dependency (4 workers, ~10 ms a request) is crashed
    until ``outage_ms[1]``. Retries: exponential backoff (base 50 ms, cap 1600 ms) with
    ``jitter``.

    Returns:
        ``{"jitter", "recovered_ms", "prolonged_ms", "gave_up", "dependency_calls",
        "wasted"}``: ``recovered_ms`` is when the last call succeeded or gave up (the outage
        as the users saw it ended), ``prolonged_ms`` how long after the restart that was,
        ``dependency_calls`` the attempts sent, ``wasted`` the requests the dependency served
        for callers that had already timed out.

    Example:
        >>> retry_storm("none")["prolonged_ms"] > retry_storm("full")["prolonged_ms"]
        True
    """
    world = World(seed=seed, latency=Uniform(1, 3), trace=False)
    dep = Dependency("dep", workers=4, latency=("uniform", 8, 12))
    world.add_node(dep)
    retry = Retry(max_attempts=max_attempts, backoff=Backoff(jitter, base_ms=50, cap_ms=1600))
    callers = [add_caller(world, f"u{i}", "dep", timeout_ms=timeout_ms, retry=retry,
                          record_history=False) for i in range(clients)]
    world.crash("dep")
    world.sim.schedule(outage_ms[1], world.restart, "dep")
    world.run(until=outage_ms[0])
    for c in callers:
        c.call()
    world.run_until_idle(max_events=10_000_000)
    records = [r for c in callers for r in c.records]
    recovered = max(r["complete_ms"] for r in records)
    ok = sum(r["outcome"] == "ok" for r in records)
    return {"jitter": jitter, "recovered_ms": recovered,
            "prolonged_ms": recovered - outage_ms[1], "gave_up": len(records) - ok,
            "dependency_calls": sum(c.dependency_calls for c in callers),
            "wasted": dep.served - ok}
