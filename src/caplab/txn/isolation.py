"""The missing isolation of sagas: concurrent sagas see each other's intermediate states, and
what a semantic lock costs to prevent it.

Azure *Saga*: a saga's local transactions commit one by one, so other sagas see the states in
between; the anomalies are lost updates (one saga overwrites another's change without reading
it), dirty reads (a saga reads stock another saga reserved and later released) and fuzzy reads.
One countermeasure is a *semantic lock*: "an application-level lock where a saga's compensable
transaction uses a semaphore to indicate an update is in progress". Here the purchase saga reads
the stock in its first step and writes ``stock - 1`` in its last (a non-commutative update):
run concurrently, the sagas lose each other's updates. With the semantic lock, the first step
sets ``pending:<item>``; a concurrent saga is refused, compensates, and its customer retries:
no update is lost, at the cost of retries and time.

Example:
    >>> r = lost_update_experiment(sagas=3, semantic_lock=False, seed=1)
    >>> r["lost_updates"] > 0
    True
"""

from __future__ import annotations

from ..errors import ConfigError
from .check import check_invariants
from .saga import Step
from .saga_system import Sagas

__all__ = ["purchase_steps", "lost_update_experiment"]


def purchase_steps(order: str, *, semantic_lock: bool, customer: str = "alice",
                   item: str = "apple", amount: int = 10) -> list[Step]:
    """Read the stock, charge the customer, write back the stock read minus one."""
    a = {"order": order, "customer": customer, "item": item, "qty": 1, "amount": amount}
    first = "lock_stock" if semantic_lock else "read_stock"
    return [Step("inventory", first, dict(a), "unlock_stock"),
            Step("payment", "charge", dict(a), "refund"),
            Step("inventory", "write_stock", dict(a, value=0), "release",
                 derive=(("value", 0, "stock", -1),))]


def lost_update_experiment(*, sagas: int = 5, semantic_lock: bool = False, stock: int = 10,
                           seed: int = 0, retry_ms: int = 20, latency=(1, 5)) -> dict:
    """Start ``sagas`` purchases of one apple at once; customers retry refused ones.

    Returns:
        dict with ``completed``, ``attempts`` (sagas started, retries included),
        ``sold`` (apples reserved), ``stock`` (left on the shelf), ``lost_updates``
        (sold + stock - initial), ``sim_ms`` and the invariant check's ``valid``.
    """
    if isinstance(sagas, bool) or not isinstance(sagas, int) or not 1 <= sagas <= stock:
        raise ConfigError(f"sagas must be a whole number between 1 and stock={stock}, "
                          f"got {sagas!r}")
    s = Sagas(seed=seed, latency=("uniform",) + tuple(latency),
              initial={"inventory": {"stock:apple": stock}})
    attempts = [0]
    completed = [0]

    def start(n: int, client) -> None:
        attempts[0] += 1
        order = f"o{n}.{attempts[0]}"
        handle = s.saga_async(purchase_steps(order, semantic_lock=semantic_lock),
                              client=client, timeout_ms=10_000)

        def done(result):
            if result.ok:
                completed[0] += 1
            else:
                client.set_timer(retry_ms, start, n, client)
        handle.on_done(done)

    for n in range(sagas):
        start(n, s.client(f"customer{n}"))
    s.world.run_until(lambda: completed[0] >= sagas, timeout_ms=60_000)
    inv = s.service("inventory").store.data
    sold = sum(v or 0 for k, v in inv.items() if k.startswith("reserved:"))
    left = inv["stock:apple"]
    return {"semantic_lock": semantic_lock, "completed": completed[0], "attempts": attempts[0],
            "sold": sold, "stock": left, "lost_updates": sold + left - stock,
            "sim_ms": s.now, "valid": check_invariants(s).valid, "system": s}
