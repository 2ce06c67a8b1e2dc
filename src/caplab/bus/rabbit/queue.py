"""A queue's messages and consumers: ready and unacknowledged messages, round-robin dispatch
with prefetch, acknowledgements, requeue to the original position, and length limits.

No network here: the broker node (:mod:`caplab.bus.rabbit.node`) owns a :class:`QueueState`
per classic queue it hosts (and per quorum queue it leads) and sends what :meth:`next_delivery`
chooses.

RabbitMQ rules modelled (RabbitMQ documentation, "Consumers", "Consumer Acknowledgements and
Publisher Confirms", "Queue Length Limit"): competing consumers are served round robin; a
consumer with ``prefetch`` unacknowledged messages gets no more (``prefetch=0``: no limit;
automatic acknowledgement ignores prefetch); a requeued message goes back to its original
position with ``redelivered`` set; ``x-max-length`` counts ready messages only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Envelope", "QMsg", "ConsumerState", "QueueState"]


@dataclass(frozen=True)
class Envelope:
    """A published message as the publisher gave it (immutable; travels in network messages)."""

    id: str
    exchange: str
    routing_key: str
    body: object = None
    headers: tuple = ()             # sorted (name, value) pairs
    persistent: bool = False        # delivery_mode 2
    expiration_ms: int | None = None
    death: tuple = ()               # x-death reasons, newest last (dead-lettered copies)

    @property
    def header_dict(self) -> dict:
        return dict(self.headers)


class QMsg:
    """A message in one queue: its envelope and its queue-local state."""

    __slots__ = ("seq", "env", "redelivered", "deliveries", "expires_at")

    def __init__(self, seq: int, env: Envelope, expires_at: int | None = None) -> None:
        self.seq = seq
        self.env = env
        self.redelivered = False
        self.deliveries = 0          # quorum queues: the x-delivery-count
        self.expires_at = expires_at

    def copy(self) -> "QMsg":
        other = QMsg(self.seq, self.env, self.expires_at)
        other.redelivered, other.deliveries = self.redelivered, self.deliveries
        return other


@dataclass
class ConsumerState:
    """One consumer (basic.consume) on a queue: where it lives and what it holds."""

    tag: str
    client: str
    prefetch: int
    auto_ack: bool
    last_seen_ms: int
    unacked: dict = field(default_factory=dict)    # delivery tag -> message seq
    next_tag: int = 1

    def has_capacity(self) -> bool:
        return self.auto_ack or self.prefetch == 0 or len(self.unacked) < self.prefetch


class QueueState:
    """The messages and consumers of one queue (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.messages: dict[int, QMsg] = {}        # seq -> message, in queue order
        self.checked_out: dict[int, str] = {}      # seq -> consumer tag (delivered, unacked)
        self.consumers: dict[str, ConsumerState] = {}
        self._rr = 0                               # round-robin position in consumers

    # -- counts ----------------------------------------------------------------------------
    @property
    def ready_count(self) -> int:
        return len(self.messages) - len(self.checked_out)

    @property
    def unacked_count(self) -> int:
        return len(self.checked_out)

    def ready(self) -> list[QMsg]:
        """Ready messages, head first."""
        return [m for s, m in self.messages.items() if s not in self.checked_out]

    # -- messages --------------------------------------------------------------------------
    def add(self, qm: QMsg) -> None:
        """Append ``qm`` (its seq is larger than every seq already here)."""
        self.messages[qm.seq] = qm

    def insert(self, qm: QMsg) -> None:
        """Put ``qm`` back at the position its seq gives it (a restart rebuilding the queue)."""
        self.messages[qm.seq] = qm
        if any(s > qm.seq for s in self.messages):
            self.messages = dict(sorted(self.messages.items()))

    def head(self) -> QMsg | None:
        """The oldest ready message."""
        checked = self.checked_out
        for seq, qm in self.messages.items():
            if seq not in checked:
                return qm
        return None

    def remove(self, seq: int) -> QMsg | None:
        """Take a message out of the queue for good (acknowledged, expired, dead-lettered)."""
        self.checked_out.pop(seq, None)
        return self.messages.pop(seq, None)

    # -- consumers -------------------------------------------------------------------------
    def next_delivery(self) -> tuple[ConsumerState, QMsg] | None:
        """The next (consumer, message) to send, round robin over consumers with capacity."""
        if not self.consumers or self.ready_count == 0:
            return None
        tags = list(self.consumers)
        n = len(tags)
        for i in range(n):
            consumer = self.consumers[tags[(self._rr + i) % n]]
            if consumer.has_capacity():
                self._rr = (self._rr + i + 1) % n
                return consumer, self.head()
        return None

    def checkout(self, consumer: ConsumerState, qm: QMsg) -> int:
        """Hand ``qm`` to ``consumer``; return its delivery tag (auto-ack: removed at once)."""
        dtag = consumer.next_tag
        consumer.next_tag += 1
        if consumer.auto_ack:
            # RabbitMQ: with automatic acknowledgement a message is considered delivered once
            # it is written to the socket ("fire-and-forget").
            self.messages.pop(qm.seq, None)
        else:
            self.checked_out[qm.seq] = consumer.tag
            consumer.unacked[dtag] = qm.seq
        return dtag

    def settle(self, consumer: ConsumerState, dtag: int) -> int | None:
        """The seq an ack/nack of ``dtag`` refers to (None: unknown tag), released from it."""
        seq = consumer.unacked.pop(dtag, None)
        if seq is not None:
            self.checked_out.pop(seq, None)
        return seq

    def requeue(self, seq: int) -> QMsg | None:
        """Put a delivered message back at its original position, ``redelivered`` set."""
        self.checked_out.pop(seq, None)
        qm = self.messages.get(seq)
        if qm is not None:
            qm.redelivered = True
        return qm

    def remove_consumer(self, tag: str) -> list[int]:
        """Forget consumer ``tag``; return the seqs it held unacknowledged (to requeue)."""
        consumer = self.consumers.pop(tag, None)
        self._rr = 0
        if consumer is None:
            return []
        return sorted(consumer.unacked.values())
