"""Seeded synthetic register histories, for benchmarks and property tests of the checkers.

A store with one copy per key: each write takes effect at an instant inside its interval (or,
for an ``info`` write, never or at some later instant; a ``fail`` write never), and each read
returns the value current at an instant inside its interval, except that with probability
``stale_fraction`` it returns an older value (a lagging replica). So the history is
linearizable when ``stale_fraction`` is 0 and has stale reads (and so non-linearizable keys)
otherwise. Values are unique per key, as the checkers assume (Jepsen's register workloads).
"""

from __future__ import annotations

import random

__all__ = ["register_history"]


def register_history(n_ops: int, *, keys: int = 10, clients: int = 8, seed: int = 1,
                     stale_fraction: float = 0.0, info_fraction: float = 0.0,
                     fail_fraction: float = 0.0, read_fraction: float = 0.5) -> list[dict]:
    """A seeded history of ``n_ops`` put/get operations by ``clients`` sequential clients.

    Args:
        n_ops: number of operations.
        keys: number of keys (``"k0"``, ``"k1"``, ...).
        clients: number of clients; each issues one operation at a time.
        seed: the seed of the one random stream.
        stale_fraction: share of reads that return an older value than the current one.
        info_fraction, fail_fraction: shares of writes whose outcome is unknown / failed.
        read_fraction: share of operations that are reads.

    Returns:
        A list of history dicts (``id, client, op, key, value, invoke_ms, complete_ms,
        outcome``) in invocation order.

    Example:
        >>> len(register_history(100, seed=3))
        100
    """
    rng = random.Random(seed)
    free_at = [0] * clients
    ops = []
    for _ in range(n_ops):  # intervals first: each client issues its next op when free
        c = min(range(clients), key=lambda i: (free_at[i], i))
        invoke = free_at[c] + rng.randint(0, 3)
        complete = invoke + rng.randint(1, 12)
        free_at[c] = complete + 1
        read = rng.random() < read_fraction
        roll = rng.random()
        outcome = "ok" if read else ("info" if roll < info_fraction else
                                     "fail" if roll < info_fraction + fail_fraction else "ok")
        ops.append(dict(client=f"c{c}", op="get" if read else "put",
                        key=f"k{rng.randrange(keys)}", value=None, invoke_ms=invoke,
                        complete_ms=None if outcome == "info" else complete, outcome=outcome,
                        _at=rng.randint(invoke, complete)))
    # Then effects, in the order of the instants they take effect: a single copy per key.
    history = {f"k{i}": [None] for i in range(keys)}  # key -> values in effect order
    counter = 0
    for op in sorted(ops, key=lambda o: (o.pop("_at"), o["invoke_ms"])):
        values = history[op["key"]]
        if op["op"] == "get":
            op["value"] = values[-1]
            if len(values) > 1 and rng.random() < stale_fraction:
                op["value"] = values[rng.randrange(max(0, len(values) - 6), len(values) - 1)]
            continue
        counter += 1
        op["value"] = counter
        if op["outcome"] == "ok" or (op["outcome"] == "info" and rng.random() < 0.5):
            values.append(counter)
    ops.sort(key=lambda r: r["invoke_ms"])
    for i, op in enumerate(ops):
        op["id"] = i
    return ops
