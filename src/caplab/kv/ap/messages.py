"""Messages of the ring. The four PBS legs (Bailis et al. 2012: W, A, R, S) are distinct kinds,
so ``network.set_latency(model, kind=...)`` can give each its own distribution:
``Mutation`` (W: coordinator -> replica), ``MutationAck`` (A), ``ReadRequest`` (R),
``ReadResponse`` (S).
"""

from __future__ import annotations

from typing import Any

from ...net.message import message

__all__ = ["ClientPut", "ClientGet", "ClientReply", "Mutation", "MutationAck", "ReadRequest",
           "ReadResponse", "ReadRepair", "ReadRepairAck", "HintReplay", "HintAck", "Heartbeat", "MerkleTree",
           "MerkleDiff", "AntiEntropyPush", "ClientCas", "Prepare", "Promise", "Propose",
           "ProposeReply", "Commit", "CommitAck", "LEG_KINDS"]

#: PBS leg -> message kind
LEG_KINDS = {"w": "Mutation", "a": "MutationAck", "r": "ReadRequest", "s": "ReadResponse"}


# -- client <-> coordinator -----------------------------------------------------------------
@message
class ClientPut:
    """A write, or with ``delete`` a deletion (Cassandra: a delete is a write of a tombstone)."""
    op_id: int
    key: str
    value: Any
    consistency: Any
    context: tuple
    delete: bool = False
    timestamp: int | None = None      # the client's (USING TIMESTAMP, or the driver's clock)


@message
class ClientGet:
    op_id: int
    key: str
    consistency: Any


@message
class ClientReply:
    op_id: int
    outcome: str            # ok | fail | info
    value: Any = None       # a read's value; a cas: the current value
    context: tuple = ()
    error: str | None = None
    applied: bool | None = None   # a cas: Cassandra's [applied] column


@message
class ClientCas:
    """A lightweight transaction: set ``key`` to ``new`` if it holds ``expected`` (None: IF NOT
    EXISTS). ``consistency`` is the commit's level, ``serial`` the Paxos phase's."""
    op_id: int
    key: str
    expected: Any
    new: Any
    consistency: Any
    serial: str


# -- coordinator <-> replica ----------------------------------------------------------------
@message
class Mutation:
    req_id: int
    key: str
    version: Any
    intended: str | None = None   # sloppy quorum: the owner this stand-in holds the write for


@message
class MutationAck:
    req_id: int
    key: str


@message
class ReadRequest:
    req_id: int
    key: str
    sloppy: bool = False          # Dynamo: a stand-in also answers with the hints it holds


@message
class ReadResponse:
    req_id: int
    key: str
    versions: tuple


@message
class ReadRepair:
    key: str
    versions: tuple
    req_id: int | None = None     # blocking read repair: acknowledge with ReadRepairAck


@message
class ReadRepairAck:
    req_id: int
    key: str


@message
class HintReplay:
    hint_id: int
    key: str
    version: Any


@message
class HintAck:
    hint_id: int


# -- gossip and anti-entropy ----------------------------------------------------------------
@message
class Heartbeat:
    """Gossip: the sender's own heartbeat (``generation``, ``beat``) and the newest heartbeat
    versions it knows of the other nodes, ``gossip`` = ((node, generation, beat), ...)."""
    generation: int
    beat: int
    gossip: tuple = ()


@message
class MerkleTree:
    session: int
    levels: tuple


@message
class MerkleDiff:
    session: int
    leaves: tuple
    digests: tuple          # ((key, digest), ...) of the responder's keys in differing leaves
    compared: int


@message
class AntiEntropyPush:
    session: int
    entries: tuple          # ((key, versions), ...)
    want: tuple = ()        # keys the sender asks for


# -- Paxos (lightweight transactions): ballots are (timestamp, proposer) ------------------------
@message
class Prepare:
    req_id: int
    key: str
    ballot: tuple


@message
class Promise:
    req_id: int
    key: str
    ok: bool
    promised: tuple              # the highest ballot this replica has promised
    accepted_ballot: tuple       # its in-progress proposal (accepted, maybe not committed)
    accepted: Any                # ... its Version, or None
    commit_ballot: tuple         # its most recent commit
    committed: Any               # ... its Version, or None


@message
class Propose:
    req_id: int
    key: str
    ballot: tuple
    version: Any


@message
class ProposeReply:
    req_id: int
    key: str
    ok: bool
    promised: tuple


@message
class Commit:
    req_id: int
    key: str
    ballot: tuple
    version: Any


@message
class CommitAck:
    req_id: int
    key: str
