"""Messages between publishers, consumers and broker nodes (AMQP 0-9-1 methods, simplified),
and between the replicas of a quorum queue (Raft, as RabbitMQ's Ra library runs it)."""

from __future__ import annotations

from ...net.message import message

__all__ = ["Publish", "Confirm", "Enqueue", "EnqueueDone", "Consume", "ConsumeOk", "Deliver",
           "Ack", "Nack", "Cancel", "Heartbeat", "HeartbeatOk", "ChannelClosed",
           "AppendEntries", "AppendReply", "RequestVote", "VoteReply"]


@message
class Publish:
    """basic.publish on a channel; ``seq`` is the publisher's confirm sequence number."""
    seq: int
    env: object            # an Envelope
    confirm: bool


@message
class Confirm:
    """basic.ack (``ok``) or basic.nack for publish ``seq``; ``routed`` queues reached."""
    seq: int
    ok: bool
    routed: int
    error: str | None


@message
class Enqueue:
    """A node that routed a message hands it to the node hosting (leading) a queue."""
    ref: tuple | None      # (channel node, token) to answer, None: no answer (dead letters)
    queue: str
    env: object
    hops: int = 0


@message
class EnqueueDone:
    """The queue's node took responsibility (``ok``: written / replicated) or refused."""
    ref: tuple
    queue: str
    ok: bool
    error: str | None


@message
class Consume:
    """basic.qos + basic.consume: a consumer tag, its prefetch and acknowledgement mode."""
    tag: str
    queue: str
    prefetch: int
    auto_ack: bool


@message
class ConsumeOk:
    tag: str
    ok: bool
    error: str | None


@message
class Deliver:
    """basic.deliver: one message to a consumer, with its delivery tag."""
    tag: str
    delivery_tag: int
    queue: str
    env: object
    redelivered: bool


@message
class Ack:
    tag: str
    delivery_tag: int


@message
class Nack:
    """basic.nack / basic.reject: ``requeue`` puts it back, else it is dead-lettered."""
    tag: str
    delivery_tag: int
    requeue: bool


@message
class Cancel:
    """The consumer closes its channel: its unacknowledged messages are requeued."""
    tag: str


@message
class Heartbeat:
    tag: str


@message
class HeartbeatOk:
    tag: str
    known: bool            # False: the node no longer knows this consumer (re-subscribe)


@message
class ChannelClosed:
    tag: str
    reason: str


@message
class AppendEntries:
    queue: str
    term: int
    prev_index: int
    prev_term: int
    entries: tuple         # ((term, entry), ...)
    commit: int


@message
class AppendReply:
    queue: str
    term: int
    ok: bool
    match: int


@message
class RequestVote:
    queue: str
    term: int
    last_index: int
    last_term: int


@message
class VoteReply:
    queue: str
    term: int
    granted: bool
