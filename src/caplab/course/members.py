"""Scenarios of notebook 03's section on arbiters: the primary-secondary-arbiter (PSA) shape.

An arbiter votes but holds no data. In PSA (two data-bearing members and one arbiter) MongoDB
5.0+'s implicit default write concern is ``{w: 1}``, not ``"majority"``: with the secondary down
the set keeps a primary (the arbiter's vote is a majority with the primary's), ``w: 1`` writes
go on, but ``w: "majority"`` cannot be satisfied (the arbiter acknowledges nothing) and the
majority commit point stops, so ``majority`` reads stay behind. An arbiter also refuses a
dry-run vote while it sees a healthy primary, so the partial partition that elects the cut
secondary in a three-data-member set leaves the PSA primary in place.

:func:`psa` returns the facts as a frozen dataclass; ``tests/course/test_members_course.py``
asserts every fact the notebook states.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kv import Cluster
from ..kv.probes import wait_for_primary

__all__ = ["PSAFacts", "psa", "default_write_concerns"]


def default_write_concerns() -> dict:
    """The implicit default write concern by shape (MongoDB 5.0+'s rule, as the manual's table).

    Returns:
        ``{"PSS": "majority", "PSA": 1, "PSSSA": "majority"}``: 3 data-bearing members; 2 + 1
        arbiter; 4 + 1 arbiter.

    Example:
        >>> default_write_concerns()["PSA"]
        1
    """
    shapes = {"PSS": (3, 0), "PSA": (3, 1), "PSSSA": (5, 1)}
    return {shape: Cluster(mode="cp", nodes=n, seed=1, arbiters=a).backend.config["write_concern"]
            for shape, (n, a) in shapes.items()}


@dataclass(frozen=True)
class PSAFacts:
    """What :func:`psa` measured."""

    seed: int
    primary: str
    secondary: str
    arbiter: str
    defaults: dict               # shape -> implicit default write concern
    arbiter_oplog_len: int       # entries the arbiter holds (none: it holds no data)
    primary_after_crash: str | None   # the primary once the secondary has been down 2 s
    w1_write: object             # Result of a default (w: 1) write with the secondary down
    majority_write: object       # Result of a w: "majority" write (wtimeout 1000 ms)
    local_read: object           # Result of a primary read, read concern local
    majority_read: object        # ... read concern majority: the commit point has stopped
    after_restart_majority_read: object   # once the secondary is back and caught up
    partial_primary: str | None  # PSA: primary after a 5 s cut between primary and secondary
    partial_terms: tuple         # the terms seen during that cut
    arbiter_refusals: int        # dry runs the arbiter refused meanwhile
    cluster: object = None


def psa(seed: int = 1) -> PSAFacts:
    """Run the PSA story: the secondary crashes, then comes back; then a partial partition.

    Args:
        seed: the run's seed.

    Returns:
        :class:`PSAFacts`.

    Example:
        >>> f = psa(seed=1)
        >>> f.w1_write.ok, f.majority_write.outcome
        (True, 'info')
    """
    c = Cluster(mode="cp", nodes=3, seed=seed, arbiters=1)
    primary = wait_for_primary(c)
    secondary = next(n for n, r in c.roles().items() if r == "secondary")
    alice = c.client("alice", near=primary)
    alice.put("x", "before", w="majority")
    c.crash(secondary)
    c.run_for(2000)
    primary_after_crash = c.primary
    w1 = alice.put("x", "after")                              # the implicit default, w: 1
    majority = alice.put("y", "1", w="majority", wtimeout_ms=1000)
    local = alice.get("x", read_concern="local")
    majority_read = alice.get("x", read_concern="majority")
    c.restart(secondary)
    c.run_for(1000)
    after = alice.get("x", read_concern="majority")
    arbiter = next(n for n, r in c.roles().items() if r == "arbiter")
    arbiter_oplog_len = len(c.backend.oplog(arbiter))
    # The partial partition of section 1, in PSA: the arbiter still sees the primary.
    now = c.now
    current = c.primary
    other = next(n for n in c.nodes if n not in (current, arbiter))
    c.cut(current, other)
    c.cut(other, current)
    c.run_for(5000)
    terms = tuple(sorted({e.data["term"] for e in c.sim.trace.of_kind("role")
                          if e.data.get("role") == "primary"}))
    refusals = sum(1 for e in c.sim.trace.of_kind("election")
                   if e.node == arbiter and e.time_ms >= now and e.data.get("action") == "vote"
                   and e.data.get("dry_run") and not e.data.get("granted"))
    return PSAFacts(seed, primary, secondary, arbiter, default_write_concerns(),
                    arbiter_oplog_len, primary_after_crash, w1, majority, local, majority_read,
                    after, c.primary, terms, refusals, c)
