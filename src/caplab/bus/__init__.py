"""Message buses on the world, with their delivery guarantees checked.

``caplab.bus.kafka`` is a Kafka-like log; RabbitMQ-like and NATS-like siblings share the
checkers of :mod:`caplab.bus.check` (lost, duplicated, reordered, end-to-end effect, lag).
"""

__all__ = ["kafka", "check"]
