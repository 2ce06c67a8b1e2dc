"""Event-driven services with CQRS: domain events, an event log transport, the transactional
outbox, idempotent consumers, projections that lag, and the order-to-delivery saga.

Example:
    >>> from caplab.events import EventShop
    >>> shop = EventShop(seed=1)
    >>> shop.command("place", "o1", customer="ann", amount=30, address="1 Main St")
    1
"""

from .cqrs import CommandError, CustomerOrders, Order, OrderSummary, SearchIndex
from .event import Event, EventError, decode, encode, validate
from .system import EventShop
from .transport import LogTransport, Transport

__all__ = ["CommandError", "CustomerOrders", "Event", "EventError", "EventShop", "LogTransport",
           "Order", "OrderSummary", "SearchIndex", "Transport", "decode", "encode", "validate"]
