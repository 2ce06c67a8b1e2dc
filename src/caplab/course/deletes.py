"""Scenarios of notebook 04's deletes section: tombstones, gc_grace, and the zombie.

Cassandra deletes by writing a tombstone; compaction purges it ``gc_grace_seconds`` later. A
replica that was down during the delete, and comes back after the purge, still holds the old
value: the others hold nothing to contradict it, so read repair (or repair) copies it back and
the deleted value rises again. Running repair within ``gc_grace_seconds`` gives the returning
replica the tombstone first.

Example:
    >>> facts = zombie(seed=1)
    >>> facts.read_after_return        # the deleted value is back
    '1'
    >>> zombie(seed=1, repair_within_grace=True).read_after_return is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..kv import Cluster

__all__ = ["ZombieFacts", "zombie"]


@dataclass(frozen=True)
class ZombieFacts:
    """What each replica held at each stage of the story, and what a read returned at the end.

    ``stages``: stage name -> {node: "value" | "tombstone" | "-" (nothing)}, in story order.
    """

    key: str
    missed_by: str
    gc_grace_ms: int
    repair_within_grace: bool
    stages: dict
    read_after_return: Any
    tombstones_purged: int
    resurrected: bool
    cluster: Any = field(repr=False, compare=False)


def _snapshot(c, key) -> dict:
    held = {r["node"]: ("tombstone" if r["deleted"] else r["value"])
            for r in c.replica_records() if r["key"] == key}
    return {node: held.get(node, "-") for node in c.nodes}


def zombie(seed: int = 1, *, repair_within_grace: bool = False, gc_grace_ms: int = 500,
           key: str = "x") -> ZombieFacts:
    """Delete a key while one replica is down, let gc_grace pass, bring the replica back.

    3 nodes, RF 3, hinted handoff off (the replica is down longer than the hint window). With
    ``repair_within_grace`` the replica returns while the tombstones still exist and
    anti-entropy runs before they are purged; otherwise it returns after the purge and a read
    at ALL (blocking read repair) meets its old value.

    Args:
        seed: the simulation seed.
        repair_within_grace: run anti-entropy while the tombstones exist (the fix).
        gc_grace_ms: Cassandra's ``gc_grace_seconds``, at lab scale.
        key: the key written, then deleted.

    Returns:
        :class:`ZombieFacts`.
    """
    options = dict(replication_factor=3, hinted_handoff=False, latency=2,
                   gc_grace_ms=gc_grace_ms)
    if repair_within_grace:
        options["anti_entropy_ms"] = 200
    c = Cluster(mode="ap", nodes=3, seed=seed, **options)
    alice = c.client("alice", near="n1")
    alice.put(key, "1", consistency="all")
    stages = {"written at ALL": _snapshot(c, key)}
    missed_by = c.nodes[-1]
    c.crash(missed_by)
    c.run_for(1000)    # down, perhaps not yet convicted: QUORUM needs only the two others
    alice.delete(key, consistency="quorum")
    stages[f"deleted at QUORUM ({missed_by} down)"] = _snapshot(c, key)
    if repair_within_grace:
        c.restart(missed_by)
        c.run_for(gc_grace_ms // 2)              # repair meets the tombstones
        stages["back, repaired within gc_grace"] = _snapshot(c, key)
        c.run_for(2 * gc_grace_ms + 1000)
        stages["after gc_grace (purged)"] = _snapshot(c, key)
    else:
        c.run_for(gc_grace_ms + 500)
        stages["after gc_grace (purged)"] = _snapshot(c, key)
        c.restart(missed_by)
        c.run_for(500)
        stages[f"{missed_by} back"] = _snapshot(c, key)
    value = alice.get(key, consistency="all").value
    c.run_for(100)
    stages["after a read at ALL"] = _snapshot(c, key)
    return ZombieFacts(key, missed_by, gc_grace_ms, repair_within_grace, stages, value,
                       c.stats()["tombstones_purged"], value is not None, c)
