"""The order-to-delivery flow: four services, each owning its store, choreographed by events.

Order placed -> payment authorised -> address matched -> shipment scheduled -> delivered. No
service calls another; each reacts to the events it cares about, translated into its own model
(an anti-corruption layer), and ignores the rest. A failure midway is compensated by events
(a choreographed saga, microservices.io *Saga*: "each local transaction publishes domain events
that trigger local transactions in other services"): a declined payment cancels the order; an
address that does not match refunds the payment and cancels the order.

Topics are the services' names; the key of every record is the order id.
"""

from __future__ import annotations

from .cqrs import Order
from .event import Event
from .service import Service, Tx

__all__ = ["OrderService", "PaymentService", "AddressService", "ShippingService", "SERVICES"]


class OrderService(Service):
    """Owns the order aggregate; handles commands; follows the other services' outcomes."""

    LISTENS = ("payments", "addresses", "shipping")
    #: foreign event type -> (our event type, body fields)
    ACL = {"PaymentAuthorised": "OrderPaid", "PaymentDeclined": "OrderCancelled",
           "AddressUnmatched": "OrderCancelled", "ShipmentScheduled": "OrderShipped",
           "Delivered": "OrderDelivered"}

    def command(self, event_type: str, order_id: str, body: dict) -> int:
        """Run a command on the order: check its invariants, commit, emit the event.

        Returns:
            the order's new version (the position a read-your-writes query waits for).
        Raises:
            CommandError: the invariant that refused it, naming the order; nothing changed.
        """
        tx = Tx(self)
        current = tx.get("orders", order_id)
        Order.check(order_id, current, event_type, body)
        event = tx.emit(event_type, order_id, body)
        tx.put("orders", order_id, Order.apply(current, event))
        self.commit(tx)
        return event.version

    def translate(self, event: Event, tx: Tx) -> bool:
        if event.type not in self.ACL or tx.get("orders", event.aggregate) is None:
            return False
        # Topics are ordered one by one, not among themselves: a ShipmentScheduled may come
        # before the PaymentAuthorised that led to it. An event that cannot apply yet is
        # parked in our store (in this transaction) and retried after each change.
        parked = dict(tx.get("parked", event.aggregate, {}))
        parked[event.event_id] = event
        progress = True
        while progress:
            progress = False
            for eid, foreign in sorted(parked.items()):
                verdict = self._follow(foreign, tx)
                if verdict is not None:
                    del parked[eid]
                    progress = progress or verdict
        tx.put("parked", event.aggregate, parked)
        return True

    def _follow(self, event: Event, tx: Tx) -> bool | None:
        """Apply a foreign outcome: True applied, False moot (order final), None not yet."""
        ours = self.ACL[event.type]
        oid = event.aggregate
        current = tx.get("orders", oid)
        if current["status"] in ("delivered", "cancelled"):
            return False
        body = {"reason": event.type} if ours == "OrderCancelled" else {}
        try:
            Order.check(oid, current, ours, body)
        except ValueError:
            return None
        new = tx.emit(ours, oid, body, cause=event)
        tx.put("orders", oid, Order.apply(current, new))
        return True


class PaymentService(Service):
    """Authorises up to each customer's limit; refunds when the saga is compensated."""

    LISTENS = ("orders", "addresses")

    def __init__(self, name, transport, *, limit: int = 100, **kw) -> None:
        super().__init__(name, transport, **kw)
        self.limit = limit

    def translate(self, event: Event, tx: Tx) -> bool:
        oid = event.aggregate
        if event.type == "OrderPlaced":
            b = event.body
            ok = b["amount"] <= self.limit
            tx.put("payments", oid, {"amount": b["amount"],
                                     "status": "authorised" if ok else "declined"})
            tx.emit("PaymentAuthorised" if ok else "PaymentDeclined", oid,
                    {"amount": b["amount"], "address": b.get("address", "")}, cause=event)
            return True
        if event.type == "AddressUnmatched":
            pay = tx.get("payments", oid)
            if pay is None or pay["status"] != "authorised":
                return False
            tx.put("payments", oid, dict(pay, status="refunded"))
            tx.emit("PaymentRefunded", oid, {"amount": pay["amount"]}, cause=event)
            return True
        return False


class AddressService(Service):
    """Matches the delivery address once the payment is authorised."""

    LISTENS = ("payments",)

    def translate(self, event: Event, tx: Tx) -> bool:
        if event.type != "PaymentAuthorised":
            return False
        address = event.body.get("address", "")
        ok = bool(address) and not address.lower().startswith("nowhere")
        tx.put("addresses", event.aggregate, {"address": address, "matched": ok})
        tx.emit("AddressMatched" if ok else "AddressUnmatched", event.aggregate,
                {"address": address}, cause=event)
        return True


class ShippingService(Service):
    """Schedules a shipment for a matched address; delivers it ``deliver_ms`` later.

    A scheduled delivery is a durable row; a restarted service picks up the ones not yet done.
    """

    LISTENS = ("addresses",)

    def __init__(self, name, transport, *, deliver_ms: int = 50, **kw) -> None:
        super().__init__(name, transport, **kw)
        self.deliver_ms = deliver_ms

    def start(self) -> None:
        super().start()
        for oid, row in sorted(self.tables.get("shipments", {}).items()):
            if row["status"] == "scheduled":
                self.set_timer(self.deliver_ms, self._deliver, oid)

    def busy(self) -> bool:
        return any(r["status"] == "scheduled"
                   for r in self.tables.get("shipments", {}).values())

    def translate(self, event: Event, tx: Tx) -> bool:
        if event.type != "AddressMatched":
            return False
        tx.put("shipments", event.aggregate, {"status": "scheduled", "cause": event})
        tx.emit("ShipmentScheduled", event.aggregate, {"address": event.body["address"]},
                cause=event)
        self.set_timer(self.deliver_ms, self._deliver, event.aggregate)
        return True

    def _deliver(self, oid: str) -> None:
        tx = Tx(self)
        row = tx.get("shipments", oid)
        if row is None or row["status"] != "scheduled":
            return
        tx.put("shipments", oid, dict(row, status="delivered"))
        tx.emit("Delivered", oid, {}, cause=row["cause"])
        self.commit(tx)


#: name -> class, in the flow's order
SERVICES = {"orders": OrderService, "payments": PaymentService, "addresses": AddressService,
            "shipping": ShippingService}
