"""Checkers of the event-driven shop, each returning the common result shape.

* :func:`check_saga`: every committed order reaches a consistent downstream state (delivered,
  with its payment authorised and its shipment delivered) or is compensated (cancelled, with
  an authorised payment refunded); the time to consistency is measured per order.
* :func:`check_delivery`: no event lost (every event of a committed transaction is in the log;
  no event in the log without a committed transaction) and none applied twice (each consumer
  applied each event id at most once), and at quiescence every consumer applied every event of
  the topics it listens to.
* :func:`check_read_models`: at quiescence every read model equals a fold over the event log.

``CheckResult`` is the project's one result shape (``checker``, ``valid`` True / False / None,
``offending``, ``reasons``, ``details``, ``explain()``): the one in :mod:`caplab.history.result`
is used until ``caplab.check.result`` takes its place.

Example:
    >>> from caplab.events import EventShop
    >>> shop = EventShop(seed=1)
    >>> check_saga(shop).valid      # no orders: nothing violated
    True
"""

from __future__ import annotations

from collections import Counter

from ..history.result import CheckResult
from .cqrs import CustomerOrders, OrderSummary, SearchIndex

__all__ = ["CheckResult", "check_saga", "check_delivery", "check_read_models",
           "delivery_verdict"]


def _orders_outcome(shop, oid: str, order: dict) -> tuple[str | None, int | None]:
    """(problem or None, time it became consistent or None)."""
    pay = shop.services["payments"].tables.get("payments", {}).get(oid)
    ship = shop.services["shipping"].tables.get("shipments", {}).get(oid)
    emitted = [(t, e) for t, e in shop.services["orders"].emitted if e.aggregate == oid]
    done_ms = emitted[-1][0] if emitted else None
    if order["status"] == "delivered":
        if pay is None or pay["status"] != "authorised":
            return f"delivered, but its payment is {pay and pay['status']!r}", None
        if ship is None or ship["status"] != "delivered":
            return f"delivered, but its shipment is {ship and ship['status']!r}", None
        return None, done_ms
    if order["status"] == "cancelled":
        if pay is not None and pay["status"] == "authorised":
            return "cancelled, but its payment is still authorised (not refunded)", None
        if ship is not None:
            return f"cancelled, but a shipment is {ship['status']!r}", None
        return None, done_ms
    return f"still {order['status']!r}: neither delivered nor compensated", None


def check_saga(shop) -> CheckResult:
    """Every committed order is delivered consistently or compensated.

    Args:
        shop: an :class:`~caplab.events.EventShop` (run it to quiescence first).
    Returns:
        a :class:`CheckResult`; ``offending`` are order ids; ``details["time_to_consistency"]``
        maps each consistent order to the ms from its placement to its final event.
    """
    orders = shop.services["orders"].tables.get("orders", {})
    placed = {e.aggregate: t for t, e in shop.services["orders"].emitted
              if e.type == "OrderPlaced"}
    bad, reasons, ttc = [], [], {}
    for oid, order in sorted(orders.items()):
        problem, done_ms = _orders_outcome(shop, oid, order)
        if problem is None:
            ttc[oid] = done_ms - placed[oid]
        else:
            bad.append(oid)
            reasons.append(f"order {oid!r} is {problem}")
    return CheckResult(checker="saga consistency", valid=not bad, offending=tuple(bad),
                       reasons=tuple(reasons),
                       details={"orders": len(orders), "time_to_consistency": ttc})


def check_delivery(shop) -> CheckResult:
    """No event lost, none published without a commit, none applied twice, all applied.

    Returns:
        a :class:`CheckResult` whose ``offending`` are event ids; ``details`` counts
        ``lost``, ``phantom``, ``applied_twice``, ``committed`` and ``logged`` events.
    """
    logged = {e.event_id: (t, e) for t, e in shop.log_events()}
    committed = {e.event_id: e for s in shop.services.values() for _t, e in s.emitted}
    found: dict[str, str] = {}
    lost = [i for i in committed if i not in logged]
    for i in lost:
        found[i] = (f"{committed[i].type} {i} of {committed[i].source} committed but never "
                    f"published (lost)")
    phantom = [i for i in logged if i not in committed]
    for i in phantom:
        _t, e = logged[i]
        found[i] = f"{e.type} {i} published by {e.source} but its write never committed"
    twice = 0
    for s in shop.services.values():
        counts = Counter(eid for _g, eid, _t in s.applied)
        for eid, n in sorted(counts.items()):
            if n > 1:
                twice += 1
                found.setdefault(eid, f"event {eid} applied {n} times by {s.name}")
        for eid, (topic, e) in sorted(logged.items()):
            if topic in s.LISTENS and eid not in counts and eid in committed:
                found.setdefault(eid, f"{e.type} {eid} never applied by {s.name}")
    ids = tuple(sorted(found))
    return CheckResult(checker="event delivery", valid=not ids, offending=ids,
                       reasons=tuple(found[i] for i in ids),
                       details={"lost": len(lost), "phantom": len(phantom),
                                "applied_twice": twice,
                                "committed": len(committed), "logged": len(logged)})


def delivery_verdict(delivery: CheckResult) -> tuple[str, int, int]:
    """The dual-write verdict of a :func:`check_delivery` result, in words.

    Returns:
        ``(verdict, lost, phantom)``: verdict ``"lost event"`` (a committed event never
        published), ``"phantom event"`` (an event published for a write that never committed),
        ``"consistent"``, or ``"inconsistent"`` (applied twice or never applied).
    Example:
        >>> from caplab.events import EventShop
        >>> delivery_verdict(check_delivery(EventShop(seed=1)))
        ('consistent', 0, 0)
    """
    lost, phantom = delivery.details["lost"], delivery.details["phantom"]
    if lost:
        return "lost event", lost, phantom
    if phantom:
        return "phantom event", lost, phantom
    return ("consistent" if delivery.valid else "inconsistent"), lost, phantom


def check_read_models(shop) -> CheckResult:
    """At quiescence, each read model equals a fold over the orders topic of the log."""
    events = [e for _t, e in shop.log_events("orders")]
    bad, reasons, diffs = [], [], {}
    for kind in (OrderSummary, CustomerOrders, SearchIndex):
        want = kind().fold(events)
        have = shop.projection(kind.name).model()
        if have != want:
            keys = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
            bad.append(kind.name)
            diffs[kind.name] = {k: (have.get(k), want.get(k)) for k in keys}
            reasons.append(f"{kind.name} differs from the fold of the log at keys {keys}")
    return CheckResult(checker="read models", valid=not bad, offending=tuple(bad),
                       reasons=tuple(reasons),
                       details={"events": len(events), "differences": diffs})
