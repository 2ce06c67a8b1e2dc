"""Scenarios of notebook 09 (events and CQRS): an event's header and body, its schema check and
the dead-letter list; a query right after a command (stale) and read-your-writes by version;
the lag from a command to its read model; the order-to-delivery saga failing midway and
compensated; the dual-write problem both ways and the outbox; a read model rebuilt by replaying
the log.

Each function builds a fresh seeded :class:`~caplab.events.EventShop`, runs one story and
returns its facts (with the shop, for drawing); ``tests/course/test_events_course.py`` asserts
them.

Example:
    >>> stale_read(seed=2).stale
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..events import EventShop
from ..events.check import check_delivery, check_read_models, check_saga, delivery_verdict
from ..events.event import EventError, decode, encode
from ..events.report import command_lags
from ..events.service import BETWEEN_WRITE_AND_PUBLISH

__all__ = ["AnatomyFacts", "event_anatomy", "StaleFacts", "stale_read", "LagFacts", "lag_run",
           "SagaFacts", "saga_failure", "DualWriteFacts", "dual_write", "RebuildFacts",
           "rebuild_by_replay", "place", "CRASH_POINT"]


def place(shop, oid: str = "o1", *, customer: str = "ann", amount: int = 30,
          address: str = "1 Main St", items=("red shoes",)) -> int:
    """Place one order on ``shop``; returns its version (1)."""
    return shop.command("place", oid, customer=customer, amount=amount, address=address,
                        items=list(items))


def _status(shop, oid: str = "o1") -> str | None:
    order = shop.services["orders"].tables.get("orders", {}).get(oid)
    return order and order["status"]


@dataclass(frozen=True)
class AnatomyFacts:
    """One event as it travels (header fields, body, JSON), a malformed one refused by the
    schema check, and what a consumer does with it."""

    header: dict
    body: dict
    json: str
    schema_error: str
    dead_letters: tuple
    delivered_after: str | None
    shop: Any = field(repr=False, compare=False)


def event_anatomy(seed: int = 1) -> AnatomyFacts:
    """Place an order; read its ``OrderPlaced`` event off the log. Then publish a record of an
    unknown schema version: the payments service dead-letters it with the reason, and the next
    order is still delivered (nothing else lost)."""
    shop = EventShop(seed=seed)
    place(shop, "o1")
    shop.settle()
    _topic, event = shop.log_events("orders")[0]
    text = encode(event)
    header = {k: v for k, v in json.loads(text).items() if k != "body"}
    bad = json.loads(text)
    bad.update(event_id="bad-1", schema_version=2)
    try:
        decode(json.dumps(bad))
        error = ""
    except EventError as exc:
        error = str(exc)
    shop.transport.publish(shop.services["orders"], "orders", "o0", json.dumps(bad))
    place(shop, "o2", customer="bob", amount=20)
    shop.settle()
    reasons = tuple(r for _p, r in shop.services["payments"].dead_letters)
    return AnatomyFacts(header, dict(event.body), text, error, reasons, _status(shop, "o2"),
                        shop)


@dataclass(frozen=True)
class StaleFacts:
    """A query right after a command, then one that waits for the command's version."""

    version: int
    right_after: Any
    stale: bool
    waited_ms: int
    with_version: Any
    shop: Any = field(repr=False, compare=False)


def stale_read(seed: int = 2) -> StaleFacts:
    """Place an order (the command returns its version), query the order summary at once
    (nothing: the projection has not seen the event yet), then query with ``min_version``
    (the query waits until the projection has applied it: read-your-writes)."""
    shop = EventShop(seed=seed)
    version = place(shop, "o1", amount=10)
    right_after = shop.query("order_summary", "o1")
    start = shop.now
    with_version = shop.query("order_summary", "o1", min_version=version)
    return StaleFacts(version, right_after, right_after is None, shop.now - start, with_version,
                      shop)


@dataclass(frozen=True)
class LagFacts:
    """The lag from each command's acknowledgement to its effect in the order summary."""

    lags: tuple          # (order id, lag ms)
    min_ms: int
    max_ms: int
    poll_ms: int
    rows: tuple = field(repr=False)
    shop: Any = field(repr=False, compare=False)


def lag_run(seed: int = 1, *, orders: int = 8, every_ms: int = 37,
            poll_ms: int = 10) -> LagFacts:
    """Place ``orders`` orders ``every_ms`` apart; measure each one's lag to the read model.
    Consumers poll the log every ``poll_ms``: the lag is mostly that wait."""
    shop = EventShop(seed=seed, transport={"poll_ms": poll_ms})
    for i in range(orders):
        place(shop, f"o{i}", customer=f"c{i % 3}", amount=10 + 5 * i)
        shop.run_for(every_ms)
    shop.settle()
    rows = command_lags(shop)
    lags = tuple((r["order_id"], r["lag_ms"]) for r in rows)
    seen = [lag for _o, lag in lags if lag is not None]
    return LagFacts(lags, min(seen), max(seen), poll_ms, tuple(rows), shop)


@dataclass(frozen=True)
class SagaFacts:
    """The order-to-delivery flow, once through and once failing midway."""

    happy_chain: tuple      # event types of the happy order, in causal order
    failed_chain: tuple     # event types of the order whose address does not match
    happy_status: str
    failed_status: str
    payment_after: str
    saga_ok: bool
    time_to_consistency: dict
    shop: Any = field(repr=False, compare=False)


def _chain(shop, oid: str) -> tuple:
    """The event types of one order, every service's, by commit time (the causal order)."""
    events = sorted(((t, e.type) for s in shop.services.values() for t, e in s.emitted
                     if e.aggregate == oid))
    return tuple(kind for _t, kind in events)


def saga_failure(seed: int = 1) -> SagaFacts:
    """Two orders: ``o1`` goes through (placed, paid, matched, scheduled, delivered); ``o2``
    has an address that does not match after its payment was authorised, so the payment is
    refunded and the order cancelled by compensating events (a choreographed saga)."""
    shop = EventShop(seed=seed)
    place(shop, "o1")
    place(shop, "o2", customer="bob", address="nowhere 9")
    shop.settle()
    saga = check_saga(shop)
    pay = shop.services["payments"].tables["payments"]["o2"]["status"]
    return SagaFacts(_chain(shop, "o1"), _chain(shop, "o2"), _status(shop, "o1"),
                     _status(shop, "o2"), pay, bool(saga.valid),
                     dict(saga.details["time_to_consistency"]), shop)


#: where each publish mode's service crashes "between its database write and its publish"
CRASH_POINT = BETWEEN_WRITE_AND_PUBLISH


@dataclass(frozen=True)
class DualWriteFacts:
    """The payments service crashes between its write and its publish; what the checkers say."""

    publish: str
    verdict: str             # "lost event", "phantom event" or "consistent"
    lost: int
    phantom: int
    order_status: str | None
    payment_status: str | None
    delivery_ok: bool
    saga_ok: bool
    reasons: tuple
    shop: Any = field(repr=False, compare=False)


def dual_write(seed: int = 1, *, publish: str = "after_commit") -> DualWriteFacts:
    """Place one order; the payments service crashes right between its database write and its
    publish (``publish`` says in which order it does them, or whether it uses the outbox),
    restarts 100 ms later, and the shop runs to quiescence."""
    shop = EventShop(seed=seed, publish=publish)
    shop.crash_at("payments", CRASH_POINT[publish])
    place(shop, "o1")
    shop.run_for(100)
    shop.restart("payments")
    shop.settle(max_ms=1500)
    delivery = check_delivery(shop)
    verdict, lost, phantom = delivery_verdict(delivery)
    pay = shop.services["payments"].tables.get("payments", {}).get("o1")
    return DualWriteFacts(publish, verdict, lost, phantom, _status(shop),
                          pay and pay["status"], bool(delivery.valid),
                          bool(check_saga(shop).valid), tuple(delivery.reasons), shop)


@dataclass(frozen=True)
class RebuildFacts:
    """A read model dropped and rebuilt by replaying the orders log from its first record."""

    before: dict
    emptied: dict
    after: dict
    replayed: int
    duplicates: int          # deliveries the rebuilt projection dropped by version
    held_back: int           # deliveries it held back until the version before came
    equal: bool
    fold_ok: bool
    shop: Any = field(repr=False, compare=False)


def rebuild_by_replay(seed: int = 4, *, orders: int = 4, disorder: float = 0.3) -> RebuildFacts:
    """Four orders (one compensated) on a transport that duplicates and reorders deliveries;
    then the summary node drops its read models and replays the log as a new consumer group."""
    shop = EventShop(seed=seed, transport={"duplicate_p": disorder, "reorder_p": disorder})
    for i in range(orders):
        place(shop, f"o{i}", customer=f"c{i % 2}", amount=10 + i,
              address="nowhere" if i == 2 else "1 Main St", items=[f"blue hat {i}"])
    shop.settle()
    before = shop.projection("order_summary").model()
    node = shop.readers["summary"]
    seen = len(node.seen)
    node.rebuild()
    emptied = shop.projection("order_summary").model()
    shop.settle()
    summary = shop.projection("order_summary")
    after = summary.model()
    return RebuildFacts(before, emptied, after, len(node.seen) - seen, summary.duplicates,
                        summary.early, before == after, bool(check_read_models(shop).valid),
                        shop)
