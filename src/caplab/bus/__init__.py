"""Message buses on the world, with their delivery guarantees checked.

``caplab.bus.kafka`` is a Kafka-like log, ``caplab.bus.rabbit`` a RabbitMQ-like broker and
``caplab.bus.nats`` NATS-like subjects; they share the checkers of :mod:`caplab.bus.check`
(lost, duplicated, reordered, end-to-end effect, lag).
"""

__all__ = ["kafka", "rabbit", "nats", "check"]
