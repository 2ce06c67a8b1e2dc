"""Messages of the NATS-like system: the client protocol (SUB, UNSUB, PUB, MSG, PING/PONG),
routes between servers (interest and routed messages) and JetStream (publish acks, push
consumers, acks).

Client-to-server messages carry ``conn`` (the connection) and ``seq`` (its position on the
connection); server-to-endpoint messages carry ``seq`` too: TCP order, restored by a
:class:`~caplab.bus.rabbit.fifo.Resequencer` at the receiver.
"""

from __future__ import annotations

from ...net.message import message

__all__ = ["Sub", "Unsub", "Pub", "Ping", "Pong", "Msg", "NoResponders", "Interest", "RMsg",
           "JsPublish", "PubAck", "JsBind", "JsMsg", "JsAck", "Interests"]


@message
class Sub:
    conn: int
    seq: int
    sid: int
    pattern: str
    queue: str | None


@message
class Unsub:
    conn: int
    seq: int
    sid: int


@message
class Pub:
    conn: int
    seq: int
    subject: str
    reply: str | None
    data: object
    msg_id: str


@message
class Ping:
    conn: int
    seq: int


@message
class Pong:
    seq: int


@message
class Msg:
    """A message for subscription ``sid`` of the receiving client."""
    seq: int
    sid: int
    subject: str
    reply: str | None
    data: object
    msg_id: str


@message
class NoResponders:
    """The 503 status the server sends to a request's inbox when nobody subscribes."""
    seq: int
    reply: str
    subject: str


@message
class Interest:
    """Route protocol (RS+/RS-): a server tells its peers a client (un)subscribed."""
    seq: int
    client: str
    sid: int
    pattern: str
    queue: str | None
    add: bool


@message
class RMsg:
    """A message routed to a peer server for its local subscriptions ``targets``."""
    seq: int
    targets: tuple          # ((client, sid), ...)
    subject: str
    reply: str | None
    data: object
    msg_id: str
    capture: bool           # the peer holds the stream that stores this subject


@message
class JsPublish:
    conn: int
    seq: int
    subject: str
    data: object
    msg_id: str
    op_id: int


@message
class PubAck:
    seq: int
    op_id: int
    ok: bool
    stream: str | None
    stream_seq: int
    error: str | None


@message
class JsBind:
    """A push consumer's client binds to a durable consumer of a stream."""
    conn: int
    seq: int
    stream: str
    durable: str
    ack_wait_ms: int
    max_deliver: int


@message
class JsMsg:
    seq: int
    durable: str
    stream_seq: int
    subject: str
    data: object
    msg_id: str
    delivered: int          # this message's delivery count (1: first delivery)


@message
class JsAck:
    conn: int
    seq: int
    durable: str
    stream_seq: int
    nak: bool


@message
class Interests:
    """Route protocol: a server's whole interest, ``((client, sid, pattern, queue), ...)``."""
    seq: int
    rows: tuple
