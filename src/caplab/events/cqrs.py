"""CQRS: the order aggregate (the command side) and projections (the query side).

A command changes state and returns nothing or raises an error; a query returns data and
changes nothing. :class:`Order` enforces its invariants (a positive amount, no second
placement, no transition out of a final state) and emits events with its version.

A projection folds the order events into a read model in its own store. It stays correct with
duplicated and reordered delivery by the aggregate's version: an event at or below the version
already applied is a duplicate and dropped; an event beyond the next one is held back until the
gap is filled. The read store lags the write store (Azure Architecture Center, *CQRS*: "the
read store ... is eventually consistent"), so a query right after a command can be stale.

Example:
    >>> p = OrderSummary()
    >>> p.fold([])
    {}
"""

from __future__ import annotations

from ..errors import ConfigError
from .event import Event

__all__ = ["Order", "CommandError", "Projection", "OrderSummary", "CustomerOrders",
           "SearchIndex"]

#: event type -> the order state it leads to
STATE_OF = {"OrderPlaced": "placed", "OrderPaid": "paid", "OrderShipped": "shipped",
            "OrderDelivered": "delivered", "OrderCancelled": "cancelled"}
#: allowed transitions: event type -> states it may follow
FROM = {"OrderPaid": ("placed",), "OrderShipped": ("paid",), "OrderDelivered": ("shipped",),
        "OrderCancelled": ("placed", "paid", "shipped")}


class CommandError(ConfigError):
    """A command refused: the message names the order and why; nothing changed."""


class Order:
    """The order aggregate, rebuilt from the orders service's table."""

    @staticmethod
    def check(order_id: str, current: dict | None, event_type: str, body: dict) -> None:
        """Raise :class:`CommandError` unless ``event_type`` may happen to the order now.

        Example:
            >>> Order.check("o9", None, "OrderPaid", {})
            Traceback (most recent call last):
            caplab.events.cqrs.CommandError: no order 'o9': a command needs an existing order
        """
        if event_type == "OrderPlaced":
            if current is not None:
                raise CommandError(f"order {order_id!r} already exists (status "
                                   f"{current['status']!r}); choose another id")
            amount = body.get("amount")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise CommandError(f"order {order_id!r}: amount must be a whole number > 0, "
                                   f"got {amount!r}")
            return
        if current is None:
            raise CommandError(f"no order {order_id!r}: a command needs an existing order")
        if current["status"] not in FROM[event_type]:
            raise CommandError(f"order {order_id!r} is {current['status']!r}: {event_type} "
                               f"needs one of {list(FROM[event_type])}")

    @staticmethod
    def apply(current: dict | None, event: Event) -> dict:
        """The order after ``event`` (a pure fold step)."""
        if event.type == "OrderPlaced":
            b = event.body
            return {"order_id": event.aggregate, "customer": b["customer"],
                    "amount": b["amount"], "items": list(b.get("items", ())),
                    "status": "placed", "version": event.version, "reason": None}
        out = dict(current)
        out["status"] = STATE_OF[event.type]
        out["version"] = event.version
        if event.type == "OrderCancelled":
            out["reason"] = event.body.get("reason")
        return out


class Projection:
    """Base of read models: version bookkeeping written once; a subclass says, in
    :meth:`model`, what its read model keeps of the orders it has seen."""

    name = "projection"

    def __init__(self) -> None:
        self.orders: dict[str, dict] = {}      # aggregate state as this projection saw it
        self.versions: dict[str, int] = {}     # applied version per aggregate
        self.held: dict[tuple, Event] = {}     # (aggregate, version) -> early event
        self.duplicates = 0
        self.early = 0

    def reset(self) -> None:
        self.__init__()

    def offer(self, event: Event) -> None:
        """Take one event, in any order, any number of times."""
        if event.type not in STATE_OF:
            return
        have = self.versions.get(event.aggregate, 0)
        if event.version <= have or (event.aggregate, event.version) in self.held:
            self.duplicates += 1
            return
        if event.version > have + 1:
            self.early += 1
            self.held[(event.aggregate, event.version)] = event
            return
        self._apply(event)
        nxt = self.held.pop((event.aggregate, event.version + 1), None)
        while nxt is not None:
            self._apply(nxt)
            nxt = self.held.pop((nxt.aggregate, nxt.version + 1), None)

    def _apply(self, event: Event) -> None:
        self.orders[event.aggregate] = Order.apply(self.orders.get(event.aggregate), event)
        self.versions[event.aggregate] = event.version

    def model(self) -> dict:  # pragma: no cover - abstract
        """The read model, as plain sorted data."""
        raise NotImplementedError

    def fold(self, events) -> dict:
        """The read model a fresh projection builds from ``events`` (the replay)."""
        fresh = type(self)()
        for event in events:
            fresh.offer(event)
        return fresh.model()


class OrderSummary(Projection):
    """order id -> status, amount, customer, version."""

    name = "order_summary"

    def model(self) -> dict:
        return {k: {f: v[f] for f in ("status", "amount", "customer", "version")}
                for k, v in sorted(self.orders.items())}


class CustomerOrders(Projection):
    """customer -> their order ids (sorted)."""

    name = "customer_orders"

    def model(self) -> dict:
        out: dict[str, list] = {}
        for oid, o in sorted(self.orders.items()):
            out.setdefault(o["customer"], []).append(oid)
        return out


class SearchIndex(Projection):
    """word of an item -> order ids that are not cancelled (an inverted index)."""

    name = "search_index"

    def model(self) -> dict:
        out: dict[str, list] = {}
        for oid, o in sorted(self.orders.items()):
            if o["status"] == "cancelled":
                continue
            for word in sorted({w.lower() for item in o["items"] for w in item.split()}):
                out.setdefault(word, []).append(oid)
        return out
