"""Messages of the replica set: heartbeats, oplog replication, votes, and client requests.

Optimes are ``(term, index)`` tuples; entries are :class:`~caplab.kv.cp.oplog.OplogEntry`.
"""

from __future__ import annotations

from typing import Any

from ...net.message import message

__all__ = ["Heartbeat", "HeartbeatReply", "Replicate", "ReplicateAck", "CatchUpRequest",
           "CatchUpBatch", "RequestVote", "VoteReply", "WriteRequest", "WriteReply",
           "ReadRequest", "ReadReply", "StepUp"]


@message
class Heartbeat:
    """A member's periodic heartbeat (MongoDB: every member pings every other one)."""
    term: int
    role: str
    last_optime: tuple


@message
class HeartbeatReply:
    term: int
    role: str
    last_optime: tuple
    primary: str | None


@message
class Replicate:
    """The primary's oplog entries after ``prev_optime`` (empty: a heartbeat)."""
    term: int
    prev_optime: tuple
    entries: tuple
    commit_index: int
    primary_last_optime: tuple


@message
class ReplicateAck:
    """A member's answer to :class:`Replicate` (MongoDB: replSetUpdatePosition)."""
    term: int
    ok: bool
    match_index: int
    conflict_term: int
    conflict_index: int
    last_optime: tuple      # the member's newest entry (a primary-elect's catch-up target)


@message
class CatchUpRequest:
    """A primary-elect asks a fresher member for the entries after ``last_optime`` (MongoDB's
    catch-up phase: the new primary syncs from the member with the newest optime)."""
    term: int
    last_optime: tuple


@message
class CatchUpBatch:
    """The entries after ``prev_optime``; ``diverged``: the member's oplog does not hold
    ``prev_optime`` (the primary-elect's newest entry), so it cannot serve as a sync source."""
    term: int
    prev_optime: tuple
    entries: tuple
    last_optime: tuple
    diverged: bool


@message
class RequestVote:
    """replSetRequestVotes; ``dry_run`` asks without bumping anyone's term (pv1 dry run)."""
    term: int
    candidate: str
    last_optime: tuple
    dry_run: bool
    takeover: bool


@message
class VoteReply:
    term: int
    for_term: int
    granted: bool
    dry_run: bool
    reason: str


@message
class WriteRequest:
    op_id: int
    attempt: int
    key: str
    value: Any
    w: Any
    wtimeout_ms: int | None
    j: bool = False         # acknowledge only once the write is in the on-disk journal


@message
class WriteReply:
    """``status``: ok, not_primary (definite), wtimeout or stepped_down (indefinite)."""
    op_id: int
    attempt: int
    status: str
    error: str | None
    primary: str | None
    optime: tuple | None


@message
class ReadRequest:
    op_id: int
    attempt: int
    key: str
    read_preference: str
    read_concern: str
    after_optime: tuple | None = None   # afterClusterTime of a causally consistent session


@message
class ReadReply:
    """``status``: ok, not_primary, not_secondary or failed."""
    op_id: int
    attempt: int
    status: str
    value: Any
    error: str | None
    primary: str | None
    optime: tuple | None
    snapshot: tuple | None = None       # the optime the read saw up to (operationTime)


@message
class StepUp:
    """Election handoff (MongoDB ``replSetStepUp``, ``enableElectionHandoff``): a primary that
    stepped down asks a caught-up electable secondary to call an election at once."""
    term: int
