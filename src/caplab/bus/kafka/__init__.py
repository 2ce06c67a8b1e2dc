"""A Kafka-like replicated log: topics, partitions, leaders and ISRs, acks, the idempotent
producer, consumer groups with committed offsets, retention and unclean leader election.

Example:
    >>> from caplab.bus.kafka import KafkaLog
    >>> log = KafkaLog(brokers=3, seed=1)
    >>> log.create_topic("orders", partitions=3)
"""

from .clients import Consumer, Producer
from .log import KafkaLog
from .options import murmur2, partition_for

__all__ = ["KafkaLog", "Producer", "Consumer", "murmur2", "partition_for"]
