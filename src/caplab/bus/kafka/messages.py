"""Messages of the Kafka-like log: produce and fetch, controller metadata, group membership.

A record is a tuple ``(epoch, key, value, msg_id, producer_id, seq, time_ms)``: the leader
epoch it was appended in (KIP-101 truncation uses it), the payload, a unique id the checkers
follow, the idempotent producer's id and batch sequence, and the append time (retention).
"""

from __future__ import annotations

from ...net.message import message

__all__ = ["Produce", "ProduceReply", "Fetch", "FetchReply", "Truncate", "BrokerHeartbeat",
           "PartitionState", "AlterIsr", "JoinGroup", "LeaveGroup", "GroupHeartbeat",
           "Assignment", "OffsetCommit", "OffsetCommitReply"]


@message
class Produce:
    op: int
    topic: str
    partition: int
    records: tuple          # ((key, value, msg_id), ...)
    acks: object
    producer_id: object     # None: not idempotent
    seq: int


@message
class ProduceReply:
    op: int
    topic: str
    partition: int
    base_offset: int
    error: object           # None or "NotLeaderOrFollower", "NotEnoughReplicas", ...


@message
class Fetch:
    topic: str
    partition: int
    offset: int
    last_epoch: int         # epoch of the record before ``offset`` (-1: none); followers only
    replica: bool           # a follower's fetch (else a consumer's)
    op: int = -1


@message
class FetchReply:
    topic: str
    partition: int
    offset: int
    records: tuple
    high_watermark: int
    log_start: int
    error: object
    op: int = -1


@message
class Truncate:
    """The leader's answer to a diverged follower: truncate to ``offset`` (KIP-101)."""
    topic: str
    partition: int
    offset: int


@message
class BrokerHeartbeat:
    version: int            # metadata version the broker has


@message
class PartitionState:
    """The controller's view (LeaderAndIsr), sent to brokers with its version."""
    version: int
    states: tuple           # ((topic, partition, leader, epoch, isr, replicas, min_insync), ...)


@message
class AlterIsr:
    topic: str
    partition: int
    epoch: int
    isr: tuple


@message
class JoinGroup:
    group: str
    topic: str


@message
class LeaveGroup:
    group: str


@message
class GroupHeartbeat:
    group: str
    generation: int


@message
class Assignment:
    group: str
    generation: int
    partitions: tuple       # ((partition, committed offset), ...)


@message
class OffsetCommit:
    op: int
    group: str
    topic: str
    generation: int
    offsets: tuple          # ((partition, offset), ...)


@message
class OffsetCommitReply:
    op: int
    error: object
