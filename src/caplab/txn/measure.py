"""Measurements: throughput of two-phase commit against the number of participants and the
latency between them, lock hold times, and the same workload as sagas.

Closed-loop clients each run one order after another; every order charges the customer and
credits the shop's account, a hot row every transaction locks. Two-phase commit holds that lock
from the prepare to the decision (two round trips at least), so throughput is about one
over the lock hold time, and falls as the latency grows; a saga holds each local lock only for
its own local transaction.

Example:
    >>> r = twopc_throughput(participants=2, latency_ms=5, transactions=20, seed=1)
    >>> r["committed"]
    20
"""

from __future__ import annotations

from ..errors import ConfigError
from .check import lock_statistics
from .saga_system import Sagas
from .twopc_system import TwoPhaseCommit

__all__ = ["twopc_throughput", "saga_throughput", "twopc_grid"]


def _check(transactions, clients) -> None:
    for name, value in (("transactions", transactions), ("clients", clients)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a whole number >= 1, got {value!r}")


def _plenty(n: int) -> dict:
    """Enough stock and money for ``n`` one-apple, one-coin orders."""
    return {"inventory": {"stock:apple": n}, "payment": {"acct:alice": n, "acct:bob": n,
                                                         "acct:carol": n}}


def _closed_loop(system, start, transactions: int, clients: int, order_of) -> int:
    """Run ``transactions`` through ``clients`` closed-loop clients; return how many ended."""
    issued = [0]
    finished = [0]
    names = [system.client(f"c{i}") for i in range(clients)]

    def next_for(client):
        if issued[0] >= transactions:
            return
        issued[0] += 1
        handle = start(order_of(issued[0]), client)
        handle.on_done(lambda result: (finished.__setitem__(0, finished[0] + 1),
                                       next_for(client)))

    for client in names:
        next_for(client)
    system.world.run_until(lambda: finished[0] >= transactions)
    return finished[0]


def twopc_throughput(*, participants: int = 3, latency_ms: int = 5, transactions: int = 1000,
                     clients: int = 8, seed: int = 0, trace: bool = False,
                     vote_timeout_ms: int = 10_000, keep: bool = False,
                     jitter_ms: int = 0) -> dict:
    """Run ``transactions`` orders through two-phase commit; return the figures.

    Each message takes ``latency_ms`` (plus a uniform ``jitter_ms``: with jitter, the slowest
    of more participants is slower, so the locks are held longer).

    Returns:
        dict with ``committed``, ``aborted``, ``sim_ms`` (simulated duration),
        ``per_second`` (committed per simulated second), ``lock_held_mean_ms`` (at payment),
        ``blocked_mean_ms`` (prepared, waiting for the decision); with ``keep`` also the
        ``system`` itself (for checkers).
    """
    _check(transactions, clients)
    latency = ("uniform", latency_ms, latency_ms + jitter_ms) if jitter_ms else latency_ms
    tpc = TwoPhaseCommit(participants=participants, seed=seed, latency=latency,
                         trace=trace, vote_timeout_ms=vote_timeout_ms,
                         initial=_plenty(transactions))
    start_ms = tpc.now
    customers = ("alice", "bob", "carol")

    def order(n):
        return tpc.place_order(f"o{n}", customer=customers[n % 3], item="apple", amount=1)

    _closed_loop(tpc, lambda ops, c: tpc.transaction_async(ops, client=c, timeout_ms=10_000),
                 transactions, clients, order)
    ops = [op for op in tpc.history.ops if op.op == "txn"]
    committed = sum(1 for op in ops if op.outcome == "ok")
    sim_ms = max(op.complete_ms for op in ops) - start_ms
    stats = lock_statistics(tpc).details
    hot = "payment" if "payment" in tpc.services else next(iter(tpc.services))
    return {"participants": participants, "latency_ms": latency_ms, "committed": committed,
            "aborted": len(ops) - committed, "sim_ms": sim_ms,
            "per_second": 1000.0 * committed / max(1, sim_ms),
            "lock_held_mean_ms": stats["services"][hot]["held"]["mean_ms"],
            "blocked_mean_ms": stats["blocked"]["mean_ms"], **({"system": tpc} if keep else {})}


def saga_throughput(*, latency_ms: int = 5, sagas: int = 1000, clients: int = 8, seed: int = 0,
                    manager: str = "correct", trace: bool = False, keep: bool = False) -> dict:
    """Run ``sagas`` four-step order sagas; return completed, sim_ms, per_second, lock hold."""
    _check(sagas, clients)
    s = Sagas(seed=seed, latency=latency_ms, trace=trace, manager=manager,
              initial=_plenty(sagas))
    customers = ("alice", "bob", "carol")
    _closed_loop(s, lambda steps, c: s.saga_async(steps, client=c, timeout_ms=10_000), sagas,
                 clients, lambda n: s.order_steps(f"o{n}", customer=customers[n % 3], amount=1))
    ops = [op for op in s.history.ops if op.op == "saga"]
    completed = sum(1 for op in ops if op.outcome == "ok")
    sim_ms = max(op.complete_ms for op in ops)
    stats = lock_statistics(s).details
    return {"latency_ms": latency_ms, "completed": completed, "sim_ms": sim_ms,
            "per_second": 1000.0 * completed / max(1, sim_ms),
            "lock_held_mean_ms": stats["services"]["payment"]["held"]["mean_ms"],
            **({"system": s} if keep else {})}


def twopc_grid(*, participants=(1, 2, 3, 4), latencies=(1, 5, 10), transactions: int = 100,
               clients: int = 8, seed: int = 0) -> list[dict]:
    """:func:`twopc_throughput` for every number of participants and every latency.

    Args:
        participants: the participant counts (1 to 4: order, payment, inventory, shipping).
        latencies: one-way latencies in ms (constant: no jitter, so no deadlock).
        transactions, clients, seed: as for :func:`twopc_throughput`.

    Returns:
        one row per (participants, latency), in that order, each a dict of the figures.

    Raises:
        ConfigError: an empty or bad list of participants or latencies, named.

    Example:
        >>> [r["per_second"] > 0 for r in twopc_grid(participants=(2,), latencies=(1, 5),
        ...                                          transactions=10)]
        [True, True]
    """
    for name, values in (("participants", participants), ("latencies", latencies)):
        if not isinstance(values, (list, tuple)) or not values:
            raise ConfigError(f"{name} must be a non-empty list, got {values!r}")
    return [twopc_throughput(participants=p, latency_ms=lat, transactions=transactions,
                             clients=clients, seed=seed)
            for p in participants for lat in latencies]
