"""``CompensationFailed`` published on the Kafka-like log (:mod:`caplab.bus.kafka`), for
another service or a person to handle.

A saga whose compensation keeps failing cannot finish its rollback alone (Azure,
*Compensating Transaction*: a compensation that cannot complete must be reported, e.g. to a
person). The orchestrator (or, in choreography, the service that gave up) writes the event to
its durable dead-letter list, which the checker reads; this relay then produces it on the topic
``saga.compensation-failed``, keyed by the saga, so every event of one saga lands on one
partition in order. The durable list plays the part of the *transactional outbox*
(microservices.io): the event is recorded with the saga's state, then relayed. Only the log's
public API is used.

Example:
    >>> from caplab.txn import Sagas
    >>> s = Sagas(seed=1, bus=True)
    >>> s.refuse("inventory", "reserve"); s.refuse("payment", "refund", times=None)
    >>> s.saga(s.order_steps("o1")).outcome
    'info'
    >>> ops = s.alerts.consumer("ops")
    >>> s.run_for(500)                   # the consumer joins its group
    >>> [(e.saga, e.service, e.action) for *_, e in ops.poll().value]
    [('s1', 'payment', 'refund')]
"""

from __future__ import annotations

__all__ = ["AlertRelay", "ALERT_TOPIC"]

#: the topic ``CompensationFailed`` events go to
ALERT_TOPIC = "saga.compensation-failed"


class AlertRelay:
    """Relays ``CompensationFailed`` events to :data:`ALERT_TOPIC` on a
    :class:`~caplab.bus.kafka.KafkaLog`.

    Args:
        log: the log (on the same world as the saga's services).
        name: the relay's producer name.
    """

    def __init__(self, log, name: str = "alerts") -> None:
        self.log = log
        if ALERT_TOPIC not in log.topics:
            log.create_topic(ALERT_TOPIC, partitions=1)
        self.producer = log.producer(name)
        self.published: list = []          # the produce operations, in order

    def publish(self, event) -> None:
        """Produce ``event`` (a ``CompensationFailed``) keyed by its saga, ``acks="all"``."""
        self.published.append(self.producer.produce_async(ALERT_TOPIC, event, key=event.saga,
                                                          acks="all"))

    def consumer(self, name: str, group: str = "operators"):
        """A consumer of the alerts, in consumer group ``group`` (a person's inbox, say)."""
        return self.log.consumer(name, group, ALERT_TOPIC)
