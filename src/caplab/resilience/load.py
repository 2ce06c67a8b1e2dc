"""Callers on the world and an open-loop load generator for them.

``add_caller`` puts a client endpoint on the world with a
:class:`~caplab.resilience.pipeline.ResilientCaller` to one dependency; ``open_loop`` makes it
call at a given rate whatever happens to earlier calls (arrivals do not wait for answers, as
users of a web site do not), Poisson or evenly spaced.
"""

from __future__ import annotations

from ..errors import ConfigError
from .pipeline import ResilientCaller
from .rpc import RpcEndpoint

__all__ = ["CallerClient", "add_caller", "open_loop"]


class CallerClient(RpcEndpoint):
    """A client endpoint that calls dependencies through its callers."""

    is_client = True


def add_caller(world, name: str, dependency: str, *, near: str | None = None,
               **policy) -> ResilientCaller:
    """A new client ``name`` on ``world`` calling ``dependency`` through the given policy.

    Args:
        world: the world.
        name: the client's name (new on the network).
        dependency: the node it calls.
        near: the node it travels with in partitions (default: ``dependency``).
        **policy: :class:`ResilientCaller`'s options (timeout_ms, retry, breaker, bulkhead,
            fallback, record_history).

    Returns:
        the :class:`ResilientCaller`.

    Raises:
        ConfigError / UnknownNameError: a bad policy, a taken name or an unknown node; nothing
            is added to the world.

    Example:
        >>> from caplab.world import World
        >>> from caplab.resilience import Dependency
        >>> w = World(seed=1); w.add_node(Dependency("db"))
        >>> add_caller(w, "app", "db", timeout_ms=50).timeout_ms
        50
    """
    world.require_node(dependency)
    world.require_node(near or dependency)
    if name in world.network.endpoints:
        raise ConfigError(f"{name!r} is already on the network; choose another name")
    owner = CallerClient(name)
    caller = ResilientCaller(owner, dependency, world=world, **policy)   # checks the policy
    world.add_client(owner, near=near or dependency)
    return caller


def open_loop(caller: ResilientCaller, *, rate_per_s: float, duration_ms: int,
              start_ms: int | None = None, payload=None, poisson: bool = True) -> None:
    """Schedule calls at ``rate_per_s`` for ``duration_ms`` (Poisson arrivals by default).

    ``payload`` may be a function of the call number (e.g. to mix request kinds).

    Raises:
        ConfigError: a rate <= 0 or a negative duration.
    """
    if isinstance(rate_per_s, bool) or not isinstance(rate_per_s, (int, float)) \
            or not rate_per_s > 0:
        raise ConfigError(f"rate_per_s must be a number > 0, got {rate_per_s!r}")
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or duration_ms < 0:
        raise ConfigError(f"duration_ms must be a whole number >= 0, got {duration_ms!r}")
    sim = caller.world.sim
    rng = sim.rng(f"{caller.owner.name}.arrivals")
    mean_gap = 1000.0 / rate_per_s
    t = float(sim.now if start_ms is None else start_ms)
    end = t + duration_ms
    times, n = [], 0
    while True:
        t += rng.expovariate(1.0 / mean_gap) if poisson else mean_gap
        if t >= end:
            break
        times.append(int(t))
    for n, when in enumerate(times):
        p = payload(n) if callable(payload) else payload
        sim.schedule_at(when, _arrive, caller, p)


def _arrive(caller: ResilientCaller, payload) -> None:
    if caller.owner.up:
        caller.call(payload)
