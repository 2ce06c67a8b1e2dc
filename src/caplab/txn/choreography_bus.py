"""The choreographed saga's events carried by a Kafka-like log (:mod:`caplab.bus.kafka`)
instead of direct messages.

Each service has a producer and a consumer on the same world as the services: the order events
for a service go to its topic ``saga.<service>`` (keyed by the order, so one order's events stay
in order on one partition), and the service's consumer group polls it, hands each event to the
service, and commits its offsets *after* processing: at-least-once (Kafka's documentation,
"Message Delivery Semantics": committing after processing gives at-least-once). So a consumer
that crashes between processing and committing has its events delivered again after it
rejoins the group; the service's durable record of the events it handled (microservices.io
*Idempotent Consumer*) absorbs the duplicates. A compensation that keeps failing is published
on ``saga.compensation-failed`` (:mod:`caplab.txn.alerts`). Only the log's public API is used.

Example:
    >>> from caplab.txn import Choreography
    >>> c = Choreography(seed=1, transport="bus")
    >>> c.place_order("o1").ok
    True
"""

from __future__ import annotations

from ..bus.kafka import KafkaLog
from ..errors import UnknownNameError
from .alerts import AlertRelay
from .facade import check_positive_ms

__all__ = ["BusTransport", "TOPIC_PREFIX"]

TOPIC_PREFIX = "saga."


class BusTransport:
    """Order events over a :class:`~caplab.bus.kafka.KafkaLog` on the services' world.

    Args:
        world: the services' world (the log's brokers are added to it).
        services: name -> :class:`~caplab.txn.choreography.ChoreoService`.
        brokers: how many brokers.
        poll_ms: how often each service's consumer polls.
    """

    def __init__(self, world, services: dict, *, brokers: int = 3, poll_ms: int = 5) -> None:
        self.log = KafkaLog(brokers=brokers, world=world)
        self.alerts = AlertRelay(self.log)     # CompensationFailed, for a person
        self.poll_ms = poll_ms
        self.services = services
        self.producers, self.consumers = {}, {}
        self.crash_plan: dict = {}       # service -> ms the consumer stays down, once
        self.redelivered = 0             # events polled again after a consumer crash
        self._seen: set = set()          # (topic, partition, offset) polled at least once
        for name, svc in services.items():
            topic = TOPIC_PREFIX + name
            self.log.create_topic(topic, partitions=1)
            self.producers[name] = self.log.producer(f"{name}-producer")
            self.consumers[name] = self.log.consumer(f"{name}-consumer", name, topic)
            svc.transport = self
            svc.set_timer(poll_ms, self._poll, name, daemon=True)

    def publish(self, src: str, dst: str, event) -> None:
        """Produce ``event`` for service ``dst`` (from service ``src``), keyed by its order."""
        self.producers[src].produce_async(TOPIC_PREFIX + dst, event, key=event.order)

    # -- consuming: poll, process, then commit (at-least-once) ---------------------------------
    def _poll(self, name: str) -> None:
        consumer = self.consumers[name]
        if not consumer.up or consumer.pending:
            self.resume(name)
            return
        consumer.poll_async().on_done(lambda result: self._polled(name, result))

    def _polled(self, name: str, result) -> None:
        svc, consumer = self.services[name], self.consumers[name]
        if not result.ok or not result.value or not consumer.up:
            self.resume(name)
            return
        for partition, offset, _, _, event in result.value:
            where = (consumer.topic, partition, offset)
            if where in self._seen:
                self.redelivered += 1
            self._seen.add(where)
            if svc.up:
                svc.handle_order_event(event, consumer.name)
        down_ms = self.crash_plan.pop(name, None)
        if down_ms is not None:
            # Processed, not committed: the next member of the group starts again from the
            # last committed offset, so these events come again.
            self.log.crash(consumer.name)
            svc.set_timer(down_ms, self.log.restart, consumer.name, daemon=True)
            self.resume(name)
            return
        consumer.commit_async().on_done(lambda _: self.resume(name))

    def resume(self, name: str) -> None:
        """Poll ``name``'s topic again in ``poll_ms`` (also after the service restarts)."""
        svc = self.services[name]
        svc.set_timer(self.poll_ms, self._poll, name, daemon=True)

    def crash_consumer_before_commit(self, service: str, down_ms: int) -> None:
        """Crash ``service``'s consumer after it next processes events and before it commits;
        restart it ``down_ms`` later.

        Raises:
            UnknownNameError / ConfigError: an unknown service, or ``down_ms`` not a whole
                number > 0; nothing is planned.
        """
        if service not in self.services:
            raise UnknownNameError("service", service, list(self.services))
        check_positive_ms("down_ms", down_ms)
        self.crash_plan[service] = down_ms
