"""A RabbitMQ-like broker on the world: exchanges, bindings and queues; competing consumers
with prefetch; automatic vs manual acknowledgement; dead-lettering on rejection, TTL, length
limit and delivery limit; publisher confirms; durable queues and persistent messages across a
restart; replicated quorum queues that need a majority.

Example:
    >>> from caplab.bus.rabbit import Broker
    >>> b = Broker(nodes=1, seed=1)
    >>> b.declare_exchange("orders", "topic")
    >>> b.declare_queue("eu")
    >>> b.bind("eu", "orders", "eu.#")
    >>> worker = b.consumer("worker", "eu", prefetch=1)
    >>> b.publisher("shop").publish("orders", "eu.paid", {"order": 1}).ok
    True
    >>> b.run_for(50); [d["id"] for d in b.deliveries()]
    ['shop-1']

Sources: the RabbitMQ documentation (AMQP 0-9-1 model, exchanges, consumers, acknowledgements
and confirms, dead letter exchanges, TTL, length limits, quorum queues), cited in each module.
"""

from .broker import OPTIONS, Broker
from .client import HANDLER_OUTCOMES, Consumer, Publisher
from .queue import Envelope
from .routing import EXCHANGE_TYPES, check_topic_pattern, headers_match, topic_matches

__all__ = ["Broker", "Publisher", "Consumer", "Envelope", "OPTIONS", "HANDLER_OUTCOMES",
           "EXCHANGE_TYPES", "topic_matches", "headers_match", "check_topic_pattern"]
