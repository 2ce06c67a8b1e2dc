"""The business domains: a shop (order, payment, inventory, shipping) and travel (flight,
hotel, car), each service with its own rows, its local actions and their compensations.

An :class:`Action` names the rows it locks and computes its write set from the committed rows,
or refuses (:class:`Refused`: a business-rule failure such as "insufficient stock", which is a
no vote in two-phase commit and a failed step in a saga). The invariants are real ones: stock
never negative and conserved (on the shelf + reserved = initial), money conserved across
accounts, no seat, room or car sold twice.

Example:
    >>> shop = DOMAINS["shop"]
    >>> act = shop.action("inventory", "reserve")
    >>> act.rows({"order": "o1", "item": "apple", "qty": 2})
    ['stock:apple', 'reserved:o1:apple']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UnknownNameError

__all__ = ["Refused", "Action", "Domain", "DOMAINS", "HOTEL_CITY"]


class Refused(Exception):
    """A business rule refused an action (definite: nothing was written)."""


@dataclass(frozen=True)
class Action:
    """A local action: the rows it locks, and ``apply(get, args) -> (writes, output)``."""

    name: str
    rows: object
    apply: object
    compensation: str | None = None
    doc: str = ""


@dataclass
class Domain:
    """Services (name -> initial rows) and their actions (service -> name -> Action)."""

    name: str
    initial: dict
    actions: dict
    invariants: tuple = field(default_factory=tuple)

    @property
    def services(self) -> list[str]:
        return list(self.initial)

    def action(self, service: str, name: str) -> Action:
        """The action ``name`` of ``service`` (raises :class:`UnknownNameError`)."""
        try:
            return self.actions[service][name]
        except (KeyError, TypeError):
            if service not in self.actions:
                raise UnknownNameError(f"{self.name} service", service, self.services) from None
            raise UnknownNameError(f"action of {service!r}", name,
                                   sorted(self.actions[service])) from None


# -- shop ------------------------------------------------------------------------------------
def _create_order(get, a):
    if get(f"order:{a['order']}") not in (None, "active"):
        raise Refused(f"order {a['order']} is {get(f'order:' + a['order'])}")
    return {f"order:{a['order']}": "active"}, {}


def _set_order(state):
    def apply(get, a):
        return {f"order:{a['order']}": state}, {}
    return apply


def _charge(get, a):
    paid = get(f"paid:{a['order']}", 0)
    if paid:
        return {}, {"paid": paid}          # already charged: idempotent by state
    balance = get(f"acct:{a['customer']}", 0)
    if balance < a["amount"]:
        raise Refused(f"insufficient funds: {a['customer']} has {balance}, needs {a['amount']}")
    return {f"acct:{a['customer']}": balance - a["amount"],
            "acct:shop": get("acct:shop", 0) + a["amount"],
            f"paid:{a['order']}": a["amount"]}, {"paid": a["amount"]}


def _refund(get, a):
    paid = get(f"paid:{a['order']}", 0)
    if not paid:
        return {}, {"refunded": 0}          # nothing charged (or refunded already)
    return {f"acct:{a['customer']}": get(f"acct:{a['customer']}", 0) + paid,
            "acct:shop": get("acct:shop", 0) - paid,
            f"paid:{a['order']}": 0}, {"refunded": paid}


def _reserve(get, a):
    key = f"reserved:{a['order']}:{a['item']}"
    if get(key, 0):
        return {}, {"reserved": get(key)}
    stock = get(f"stock:{a['item']}", 0)
    if stock < a["qty"]:
        raise Refused(f"insufficient stock of {a['item']}: {stock} left, {a['qty']} wanted")
    return {f"stock:{a['item']}": stock - a["qty"], key: a["qty"]}, {"reserved": a["qty"]}


def _release(get, a):
    key = f"reserved:{a['order']}:{a['item']}"
    qty = get(key, 0)
    if not qty:
        return {}, {"released": 0}
    return {f"stock:{a['item']}": get(f"stock:{a['item']}", 0) + qty, key: 0}, {"released": qty}


def _read_stock(get, a):
    return {}, {"stock": get(f"stock:{a['item']}", 0)}


def _write_stock(get, a):
    # A blind write of a value read earlier (a non-commutative update): the lost-update anomaly.
    if a["value"] < 0:
        raise Refused(f"stock of {a['item']} would be {a['value']}")
    writes = {f"stock:{a['item']}": a["value"],
              f"reserved:{a['order']}:{a['item']}": a.get("qty", 1)}
    if get(f"pending:{a['item']}") == a["order"]:
        writes[f"pending:{a['item']}"] = None          # release the semantic lock
    return writes, {}


def _lock_stock(get, a):
    # Azure Saga, semantic lock: a flag saying "an update is in progress" that other sagas see.
    holder = get(f"pending:{a['item']}")
    if holder not in (None, a["order"]):
        raise Refused(f"stock of {a['item']} is pending for {holder} (semantic lock)")
    return {f"pending:{a['item']}": a["order"]}, {"stock": get(f"stock:{a['item']}", 0)}


def _unlock_stock(get, a):
    if get(f"pending:{a['item']}") != a["order"]:
        return {}, {}
    return {f"pending:{a['item']}": None}, {}


def _schedule(get, a):
    return {f"shipment:{a['order']}": "scheduled"}, {}


def _cancel_shipment(get, a):
    if get(f"shipment:{a['order']}") is None:
        return {}, {}
    return {f"shipment:{a['order']}": "cancelled"}, {}


def _row_keys(*keys):
    """``rows(args)`` for an action locking the rows named by ``keys`` (format strings)."""
    if len(keys) == 1:
        key = keys[0]
        return lambda a: [key.format_map(a)]        # most actions lock one row: no loop
    return lambda a: [k.format_map(a) for k in keys]


def _shop_actions():
    o = _row_keys
    return {
        "order": {
            "create_order": Action("create_order", o("order:{order}"), _create_order,
                                   "cancel_order"),
            "cancel_order": Action("cancel_order", o("order:{order}"), _set_order("cancelled")),
            "approve_order": Action("approve_order", o("order:{order}"), _set_order("approved")),
        },
        "payment": {
            "charge": Action("charge", o("acct:{customer}", "acct:shop", "paid:{order}"),
                             _charge, "refund"),
            "refund": Action("refund", o("acct:{customer}", "acct:shop", "paid:{order}"),
                             _refund),
        },
        "inventory": {
            "reserve": Action("reserve", o("stock:{item}", "reserved:{order}:{item}"), _reserve,
                              "release"),
            "release": Action("release", o("stock:{item}", "reserved:{order}:{item}"),
                              _release),
            "read_stock": Action("read_stock", o("stock:{item}"), _read_stock, "unlock_stock"),
            "lock_stock": Action("lock_stock", o("stock:{item}", "pending:{item}"), _lock_stock,
                                 "unlock_stock"),
            "unlock_stock": Action("unlock_stock", o("pending:{item}"), _unlock_stock),
            "write_stock": Action("write_stock", o("stock:{item}", "reserved:{order}:{item}",
                                                   "pending:{item}"), _write_stock, "release"),
        },
        "shipping": {
            "schedule": Action("schedule", o("shipment:{order}"), _schedule, "cancel_shipment"),
            "cancel_shipment": Action("cancel_shipment", o("shipment:{order}"),
                                      _cancel_shipment),
        },
    }


SHOP_INITIAL = {
    "order": {},
    "payment": {"acct:alice": 1000, "acct:bob": 1000, "acct:carol": 1000, "acct:shop": 0},
    "inventory": {"stock:apple": 100, "stock:pear": 100, "stock:plum": 100},
    "shipping": {},
}

# -- travel ----------------------------------------------------------------------------------
#: hotel -> city (forward recovery offers another hotel in the same city)
HOTEL_CITY = {"H1": "Paris", "H2": "Paris", "H3": "Rome", "H4": "Rome"}


def _book(prefix, what):
    def apply(get, a):
        row = f"{prefix}:{a[what]}:{a['seat' if prefix == 'seat' else 'unit']}"
        holder = get(row)
        if holder not in (None, a["customer"]):
            raise Refused(f"{row} is already sold to {holder}")
        if get(f"closed:{a[what]}"):
            raise Refused(f"{a[what]} is closed")
        return {row: a["customer"]}, {}
    return apply


def _unbook(prefix, what):
    def apply(get, a):
        row = f"{prefix}:{a[what]}:{a['seat' if prefix == 'seat' else 'unit']}"
        if get(row) != a["customer"]:
            return {}, {}                   # not ours (or already cancelled): nothing to undo
        return {row: None}, {}
    return apply


def _travel_actions():
    seat = lambda a: [f"seat:{a['flight']}:{a['seat']}"]      # noqa: E731
    room = lambda a: [f"room:{a['hotel']}:{a['unit']}"]       # noqa: E731
    car = lambda a: [f"car:{a['car']}:{a['unit']}"]           # noqa: E731
    return {
        "flight": {"book_seat": Action("book_seat", seat, _book("seat", "flight"), "cancel_seat"),
                   "cancel_seat": Action("cancel_seat", seat, _unbook("seat", "flight"))},
        "hotel": {"book_room": Action("book_room", room, _book("room", "hotel"), "cancel_room"),
                  "cancel_room": Action("cancel_room", room, _unbook("room", "hotel"))},
        "car": {"rent_car": Action("rent_car", car, _book("car", "car"), "return_car"),
                "return_car": Action("return_car", car, _unbook("car", "car"))},
    }


TRAVEL_INITIAL = {"flight": {}, "hotel": {}, "car": {}}

DOMAINS = {
    "shop": Domain("shop", SHOP_INITIAL, _shop_actions()),
    "travel": Domain("travel", TRAVEL_INITIAL, _travel_actions()),
}
