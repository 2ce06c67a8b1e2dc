"""Messages of the source/replica topology: binlog shipping, acknowledgements, client requests.

A binlog event is a :class:`~caplab.kv.ca.binlog.Event`; its ``gtid`` is ``(origin, seq)``, as
MySQL's ``server_uuid:transaction_id``.
"""

from __future__ import annotations

from typing import Any

from ...net.message import message

__all__ = ["BinlogEvents", "BinlogAck", "Connect", "Connected", "WriteRequest", "WriteReply",
           "ReadRequest", "ReadReply", "SemiSyncSwitch"]


@message
class BinlogEvents:
    """The source's events after ``prev_index`` (empty: a heartbeat). MySQL: the dump thread
    streams the binlog to each connected replica; ``generation`` counts promotions."""
    generation: int
    prev_index: int
    prev_gtid: tuple | None
    events: tuple
    source_last_index: int


@message
class BinlogAck:
    """A replica's answer: ``ok`` with the index its relay log matches up to (MySQL's
    semi-sync ACK is sent once the events are written to the relay log), or not ``ok`` with
    its last index (a gap, or events that differ from the source's)."""
    generation: int
    ok: bool
    match_index: int
    last_index: int


@message
class Connect:
    """A client opens a connection (the TCP and MySQL handshakes, in one message)."""
    op_id: int
    attempt: int


@message
class Connected:
    op_id: int
    attempt: int
    role: str


@message
class WriteRequest:
    op_id: int
    attempt: int
    key: str
    value: Any


@message
class WriteReply:
    """``status``: ok, read_only (definite: not applied) or stepped_down (indefinite)."""
    op_id: int
    attempt: int
    status: str
    error: str | None
    gtid: tuple | None


@message
class ReadRequest:
    op_id: int
    attempt: int
    key: str
    read_from: str


@message
class ReadReply:
    """``status``: ok or not_primary (definite: nothing was read)."""
    op_id: int
    attempt: int
    status: str
    value: Any
    version: str | None
    error: str | None


@message
class SemiSyncSwitch:
    """Not sent: the data of a ``semi_sync`` trace event (MySQL's ``Rpl_semi_sync_source_status``
    switching off on a timeout, or on again when enough replicas caught up)."""
    on: bool
    reason: str
    acked_replicas: int
    needed: int
    waited_ms: int | None
