"""Lab 10: a projection that stays correct under duplicates and reordering.

The student writes ``apply(read_model, event)``: fold one order event into ``read_model``, the
projection's own store (a dict that the student shapes; it is kept between deliveries). The
read model must hold two tables:

* ``read_model["orders"][order_id] = {"status", "amount", "customer", "version"}``;
* ``read_model["spent"][customer]`` = the amounts of the customer's orders not cancelled.

Other keys are the student's own bookkeeping and are not graded. The grader builds an orders
log with the event shop of :mod:`caplab.events` (orders delivered, declined, unmatched and
cancelled by the customer, with their compensating events), then delivers it under random
schedules, several seeds: every event at least once, some twice or three times, in an order
that keeps nothing (at-least-once buses redeliver, and consumers in parallel reorder). Correct
when, every time, the read model at the end equals the fold of the log in its order, each event
once (the checker "read model equals a fold over the log"), and no order's version ever went
backwards while the events arrived (a read model that goes back in time).

Example::

    from caplab.labkit.labs import lab10
    lab10.q1.check(apply)
"""

from __future__ import annotations

import copy
import random
from dataclasses import asdict
from functools import lru_cache

from ...events import EventShop, OrderSummary
from ..exercise import Incorrect
from ._common import require_function, skeleton_is_not_attempted
from .lab05 import TieredExercise

__all__ = ["q1", "order_log", "schedule", "deliver", "expected_model", "reference_apply",
           "SEEDS"]

#: the seeds every answer is run with (odd: a sliding window of reordering; even: shuffled)
SEEDS = (1, 2, 3, 4, 5, 6)


@lru_cache(maxsize=None)
def _log(seed: int) -> tuple:
    shop = EventShop(seed=seed, limit=60, trace=False)
    rng = random.Random(f"lab10-orders-{seed}")
    for i in range(8):
        shop.command("place", f"o{i}", customer=f"c{i % 3}", amount=rng.randint(5, 80),
                     address="nowhere 1" if rng.random() < 0.2 else f"{i} Main St",
                     items=[f"item {i}"])
        shop.run_for(rng.randint(0, 15))
        if i == 3:
            shop.command("cancel", "o3")
    shop.settle()
    return tuple(e for _t, e in shop.log_events("orders"))


def order_log(seed: int) -> list[dict]:
    """The orders topic of one run of the event shop, in log order, as event dicts
    (``event_id``, ``type``, ``aggregate``, ``version``, ``body``, and the other header fields).

    Example:
        >>> order_log(1)[0]["type"]
        'OrderPlaced'
    """
    return [asdict(e) for e in _log(seed)]


def schedule(seed: int) -> list[dict]:
    """The delivery schedule of ``seed``: every event of :func:`order_log` at least once, some
    two or three times, reordered (a window of 8 for odd seeds, a full shuffle for even ones).
    Each delivery is a fresh copy (changing it changes nothing else)."""
    rng = random.Random(f"lab10-deliveries-{seed}")
    log = order_log(seed)
    deliveries = []
    for i, event in enumerate(log):
        for _ in range(1 + (rng.random() < 0.4) + (rng.random() < 0.15)):
            spread = rng.uniform(0, 8) if seed % 2 else rng.random() * len(log)
            deliveries.append((i + spread if seed % 2 else spread, event))
    deliveries.sort(key=lambda d: d[0])
    return [copy.deepcopy(e) for _k, e in deliveries]


def expected_model(events) -> dict:
    """The fold of ``events`` in their order, each once: the read model the answer must reach.

    Example:
        >>> expected_model([])
        {'orders': {}, 'spent': {}}
    """
    from ...events.event import Event
    orders = OrderSummary().fold(Event(**e) for e in events)
    spent: dict = {}
    for o in orders.values():
        spent.setdefault(o["customer"], 0)
        if o["status"] != "cancelled":
            spent[o["customer"]] += o["amount"]
    return {"orders": orders, "spent": spent}


def deliver(apply, seed: int) -> dict:
    """Run ``apply`` over the schedule of ``seed``.

    Returns:
        ``{"read_model", "expected", "deliveries", "duplicates", "went_back"}``; ``went_back``
        is the first ``(order, from version, to version, delivery number)`` where an order's
        version in the read model decreased, or None.
    """
    log = order_log(seed)
    read_model: dict = {}
    went_back = None
    last: dict = {}
    plan = schedule(seed)
    for n, event in enumerate(plan, 1):
        apply(read_model, event)
        orders = read_model.get("orders", {}) if isinstance(read_model, dict) else {}
        for oid, row in (orders.items() if isinstance(orders, dict) else ()):
            v = row.get("version") if isinstance(row, dict) else None
            if went_back is None and isinstance(v, int) and v < last.get(oid, 0):
                went_back = (oid, last[oid], v, n)
            if isinstance(v, int):
                last[oid] = max(last.get(oid, 0), v)
    return {"read_model": read_model, "expected": expected_model(log), "deliveries": len(plan),
            "duplicates": len(plan) - len(log), "went_back": went_back}


def reference_apply(read_model: dict, event: dict) -> None:
    """Apply each order's events once, in version order: drop a version already applied,
    hold back one that comes early until the gap is filled."""
    orders = read_model.setdefault("orders", {})
    read_model.setdefault("spent", {})
    held = read_model.setdefault("_held", {})           # (order, version) -> early event
    oid, version = event["aggregate"], event["version"]
    if version <= orders.get(oid, {}).get("version", 0) or (oid, version) in held:
        return                                          # a duplicate
    held[(oid, version)] = event
    nxt = held.pop((oid, orders.get(oid, {}).get("version", 0) + 1), None)
    while nxt is not None:                              # apply every event now in sequence
        _apply_next(read_model, nxt)
        nxt = held.pop((oid, nxt["version"] + 1), None)


def _apply_next(read_model: dict, event: dict) -> None:
    orders, spent = read_model["orders"], read_model["spent"]
    oid, kind, body = event["aggregate"], event["type"], event["body"]
    if kind == "OrderPlaced":
        orders[oid] = {"status": "placed", "amount": body["amount"],
                       "customer": body["customer"], "version": event["version"]}
        spent[body["customer"]] = spent.get(body["customer"], 0) + body["amount"]
        return
    order = orders[oid]
    order["version"] = event["version"]
    order["status"] = {"OrderPaid": "paid", "OrderShipped": "shipped",
                       "OrderDelivered": "delivered", "OrderCancelled": "cancelled"}[kind]
    if kind == "OrderCancelled":
        spent[order["customer"]] -= order["amount"]


def _difference(have: dict, want: dict) -> str | None:
    """The first difference between the answer's tables and the fold, in words."""
    for table in ("orders", "spent"):
        got = have.get(table) if isinstance(have, dict) else None
        if not isinstance(got, dict):
            return f"read_model[{table!r}] is {got!r}, not a dict"
        for key in sorted(set(want[table]) | set(got), key=str):
            if got.get(key) != want[table].get(key):
                return (f"read_model[{table!r}][{key!r}] is {got.get(key)!r}, but the fold of "
                        f"the log gives {want[table].get(key)!r}")
    return None


def _incorrect(reason: str, seed: int) -> Incorrect:
    """A wrong answer on ``seed``, naming once the call that runs that seed again with the
    skeleton's name for the answer (lab10.deliver(apply, seed=N))."""
    return Incorrect(reason, seed=seed, replay=f"lab10.deliver(apply, seed={seed})")


@skeleton_is_not_attempted
def _grade(answer) -> str:
    require_function(answer, "apply(read_model, event)", 2)
    duplicates = 0
    for seed in SEEDS:
        try:
            run = deliver(answer, seed)
        except NotImplementedError:
            raise
        except Exception as e:      # noqa: BLE001 - the student's code raised: say where
            raise _incorrect(f"apply raised {type(e).__name__}: {e} (an event of an order can "
                             f"arrive before the order's OrderPlaced)", seed) from e
        duplicates += run["duplicates"]
        diff = _difference(run["read_model"], run["expected"])
        if diff is not None:
            raise _incorrect(f"after {run['deliveries']} deliveries ({run['duplicates']} of them "
                             f"duplicates, out of order) {diff}", seed)
        if run["went_back"] is not None:
            oid, was, now, n = run["went_back"]
            raise _incorrect(f"order {oid!r} went back from version {was} to {now} at delivery "
                             f"{n}: a reader saw the order's past after its present", seed)
    return (f"the read model equals the fold of the log under {len(SEEDS)} delivery schedules "
            f"({duplicates} duplicates, reordered), and never went back in time")


q1 = TieredExercise(
    "Lab 10, question 1: a projection under duplicates and reordering",
    answer_name="apply", grader=_grade,
    hints=("Events come more than once and in any order, but each carries its order's "
           "version: 1 for OrderPlaced, then 2, 3, ... What does a version at or below the one "
           "you applied mean? And one two steps ahead?",
           "Keep the version applied per order in the read model. Drop an event at or below "
           "it (a duplicate). Hold back an event beyond the next version, in your read model "
           "(e.g. read_model['_held']), until the missing ones arrive.",
           "apply: if version <= applied (or already held): return. Put the event in held. "
           "Then, while held has (order, applied + 1): pop it and apply it (OrderPlaced "
           "creates the row and adds the amount to spent; OrderCancelled subtracts it; every "
           "event sets status and version)."),
    solution='''def apply(read_model, event):
    orders = read_model.setdefault("orders", {})
    spent = read_model.setdefault("spent", {})
    held = read_model.setdefault("_held", {})           # (order, version) -> early event
    oid, version = event["aggregate"], event["version"]
    if version <= orders.get(oid, {}).get("version", 0) or (oid, version) in held:
        return                                          # a duplicate
    held[(oid, version)] = event
    nxt = held.pop((oid, orders.get(oid, {}).get("version", 0) + 1), None)
    while nxt is not None:                              # apply every event now in sequence
        body = nxt["body"]
        if nxt["type"] == "OrderPlaced":
            orders[oid] = {"status": "placed", "amount": body["amount"],
                           "customer": body["customer"], "version": nxt["version"]}
            spent[body["customer"]] = spent.get(body["customer"], 0) + body["amount"]
        else:
            order = orders[oid]
            order["version"] = nxt["version"]
            order["status"] = {"OrderPaid": "paid", "OrderShipped": "shipped",
                               "OrderDelivered": "delivered",
                               "OrderCancelled": "cancelled"}[nxt["type"]]
            if nxt["type"] == "OrderCancelled":
                spent[order["customer"]] -= order["amount"]
        nxt = held.pop((oid, nxt["version"] + 1), None)''',
    reference=reference_apply)
