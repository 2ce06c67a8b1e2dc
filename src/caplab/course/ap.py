"""Scenarios of notebook 04 (AP in depth): the ring and its preference lists, tunable
consistency (R + W > N), hinted handoff, read repair (blocking, and monotonic quorum reads) and
Merkle anti-entropy. Deletes are in :mod:`caplab.course.deletes`, conflicts (last-write-wins
under clock skew, Dynamo's shopping cart) in :mod:`caplab.course.conflicts`.

Each function builds a fresh seeded AP :class:`~caplab.kv.Cluster`, runs one experiment and
returns its facts as a frozen dataclass (with the cluster, for drawing). The notebook prints the
facts; ``tests/course/test_ap.py`` asserts them.

Example:
    >>> from caplab.course.ap import tunable_consistency
    >>> tunable_consistency(seed=1, write_level="quorum", read_level="quorum").stale_reads
    0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..check import check_stale_reads
from ..kv import Cluster
from ..kv.ap.coordinator import required_replicas
from ..kv.ap.levels import check_level
from ..kv.probes import hint_replayed_ms, holders, key_where, keys_received, wait_seen_down
from ..net.latency import Uniform

__all__ = ["RingFacts", "ring_tour", "vnode_balance", "LevelFacts", "tunable_consistency",
           "HandoffFacts", "hinted_handoff", "RepairFacts", "read_repair", "MonotonicFacts",
           "monotonic_quorum_reads", "AntiEntropyFacts",
           "anti_entropy", "key_where"]


# -- the ring ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RingFacts:
    """Where a key lives. ``preference_list``: RF distinct nodes clockwise from the key."""

    key: str
    preference_list: tuple
    tokens: int
    tokens_per_node: dict
    ownership: dict
    rf: int
    cluster: Any = field(repr=False, compare=False)


def ring_tour(seed: int = 1, *, nodes: int = 5, vnodes: int = 8, rf: int = 3,
              key: str = "cart") -> RingFacts:
    """A ring of ``nodes`` nodes with ``vnodes`` tokens each, and the preference list of ``key``.

    Example:
        >>> ring_tour(seed=1).preference_list                # doctest: +SKIP
        ('n2', 'n5', 'n4')
    """
    c = Cluster(mode="ap", nodes=nodes, seed=seed, vnodes=vnodes, replication_factor=rf)
    entries = c.ring()
    per_node = {n: sum(1 for e in entries if e["node"] == n) for n in c.nodes}
    return RingFacts(key, tuple(c.replicas_for(key)), len(entries), per_node,
                     {n: round(s, 3) for n, s in c.ownership().items()}, rf, c)


def vnode_balance(seed: int = 1, *, nodes: int = 5, vnodes_options=(1, 4, 16, 64, 256)):
    """How evenly the ring is shared as the number of vnodes per node grows.

    Returns:
        A DataFrame: ``vnodes``, ``max_share``, ``min_share``, ``max_over_fair`` (the largest
        share divided by the fair share ``1/nodes``).
    """
    import pandas as pd
    rows = []
    for v in vnodes_options:
        c = Cluster(mode="ap", nodes=nodes, seed=seed, vnodes=v)
        shares = c.ownership()
        rows.append({"vnodes": v, "max_share": round(max(shares.values()), 3),
                     "min_share": round(min(shares.values()), 3),
                     "max_over_fair": round(max(shares.values()) * nodes, 2)})
    return pd.DataFrame(rows)


# -- tunable consistency ---------------------------------------------------------------------
@dataclass(frozen=True)
class LevelFacts:
    """One run of the read-after-write experiment at one pair of consistency levels."""

    write_level: str | int
    read_level: str | int
    n: int
    w: int
    r: int
    strict: bool            # R + W > N
    rounds: int
    writes_ok: int
    reads_ok: int
    stale_reads: int
    first_stale: Any        # a caplab.check.StaleRead, or None
    cluster: Any = field(repr=False, compare=False)


def tunable_consistency(seed: int = 1, *, write_level: str | int = "one",
                        read_level: str | int = "one", rounds: int = 30,
                        slow_write_ms: tuple = (1, 40), read_after_ms: int = 2) -> LevelFacts:
    """Alice writes ``x`` (1, 2, 3, ...), and each time, as soon as her write is acknowledged,
    Bob (near another node) reads it ``read_after_ms`` later. Writes reach replicas slowly and
    unevenly (the write leg takes ``Uniform(*slow_write_ms)`` ms, like a disk), everything
    else 1-5 ms.

    With R + W > N every read overlaps the acknowledged replicas and is fresh; with ONE/ONE a
    read can ask a replica the write has not reached yet: a stale read.

    Args:
        seed: the cluster's seed.
        write_level, read_level: Cassandra consistency levels (``"one"``, ``"two"``,
            ``"three"``, ``"quorum"``, ``"all"``, any case) or a number of replicas 1..3.

    Returns:
        :class:`LevelFacts`; ``stale_reads`` counted by :func:`caplab.check.check_stale_reads`.

    Raises:
        UnknownNameError / ConfigError: a level that is not one of those, naming it and the
            allowed ones, before anything runs.

    Example::

        >>> tunable_consistency(1, write_level=2, read_level=2).strict
        True
    """
    n = 3
    # Validate both levels before building anything: a bad level must not cost a whole run.
    write_level = check_level("write_level", write_level, n)
    read_level = check_level("read_level", read_level, n)
    w, r = required_replicas(write_level, n), required_replicas(read_level, n)
    c = Cluster(mode="ap", nodes=n, seed=seed, replication_factor=n)
    c.set_leg_latency(w=Uniform(*slow_write_ms))
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n3")
    writes = reads = 0
    for i in range(1, rounds + 1):
        writes += alice.put("x", i, consistency=write_level).ok
        c.run_for(read_after_ms)   # strictly after the ack, so the write precedes the read
        reads += bob.get("x", consistency=read_level).ok
        c.run_for(60)   # let the slow write land everywhere before the next round
    stale = check_stale_reads(c.history)
    return LevelFacts(write_level, read_level, n, w, r, r + w > n, rounds, writes, reads,
                      len(stale.stale), stale.stale[0] if stale.stale else None, c)


# -- hinted handoff ------------------------------------------------------------------------
@dataclass(frozen=True)
class HandoffFacts:
    """A write while one replica is cut off: the hint, and its replay after the heal."""

    key: str
    value: Any
    target: str             # the replica that was cut off
    write_ok: bool
    hints_during: tuple     # hint dicts held while the replica was away
    target_had_before_heal: bool
    heal_ms: int
    target_value_after: Any
    hints_after: tuple
    hints_replayed: int
    replayed_ms: int | None   # when the hint was replayed (trace), or None
    seen_down_ms: int | None  # ms from the fault until the coordinator's detector convicted
    cluster: Any = field(repr=False, compare=False)


def hinted_handoff(seed: int = 1, *, fault: str = "partition", hinted: bool = True,
                   away_ms: int = 900) -> HandoffFacts:
    """One replica of a key goes away (``fault="partition"`` isolates it, ``"crash"`` crashes
    it); once the coordinator's failure detector has convicted it (``seen_down_ms`` after it
    went away), Alice writes the key at QUORUM through another node; ``away_ms`` later the
    replica comes back.

    With ``hinted=True`` the coordinator keeps a hint and replays it when its failure detector
    sees the replica up again; with ``hinted=False`` the replica stays stale (until a read
    repair or anti-entropy fixes it).
    """
    c = Cluster(mode="ap", nodes=5, seed=seed, hinted_handoff=hinted, read_repair=False)
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p, prefix="user:")
    target = c.replicas_for(key)[0]
    if fault == "crash":
        c.crash(target)
    else:
        c.isolate(target)
    # The coordinator's failure detector convicts the replica first (phi 8 by default: about 18
    # heartbeat intervals of silence), so the write is hinted at once, not after a timeout.
    seen_down = wait_seen_down(c, target, by="n1")
    ok = alice.put(key, "v1", consistency="quorum").ok
    during = tuple(c.hints())
    had = target in holders(c, key)
    c.run_for(away_ms)
    if fault == "crash":
        c.restart(target)
    else:
        c.heal()
    heal_ms = c.now
    c.run_for(1000)
    return HandoffFacts(key, "v1", target, ok, during, had, heal_ms,
                        holders(c, key).get(target), tuple(c.hints()),
                        c.stats()["hints_replayed"], hint_replayed_ms(c), seen_down, c)


# -- read repair ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RepairFacts:
    """A stale replica, a read at ALL that sees it, and its read repair."""

    key: str
    stale_node: str
    before: dict            # node -> value before the read
    read_value: Any
    after: dict             # node -> value shortly after the read
    read_repairs: int
    at_answer: dict         # node -> value the moment the read returned
    cluster: Any = field(repr=False, compare=False)


def read_repair(seed: int = 1, *, read_level: str = "all",
                mode: str = "blocking") -> RepairFacts:
    """With hints off, a replica that was down during a write stays stale after it restarts,
    until a read asks it. ``mode="blocking"`` (Cassandra's foreground repair): the coordinator sends the newest
    version to the replica that answered with an older one and waits for its acknowledgement
    before answering; ``"async"`` (Dynamo section 5): it answers first and repairs after.
    ``after`` is read 50 ms after the answer."""
    c = Cluster(mode="ap", nodes=5, seed=seed, hinted_handoff=False, read_repair=mode)
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p, prefix="user:")
    stale = c.replicas_for(key)[2]
    alice.put(key, "old", consistency="all")
    c.crash(stale)
    c.run_for(600)
    alice.put(key, "new", consistency="quorum")
    c.restart(stale)
    c.run_for(600)
    before = holders(c, key)
    value = alice.get(key, consistency=read_level).value
    at_answer = holders(c, key)
    c.run_for(50)
    return RepairFacts(key, stale, before, value, holders(c, key), c.stats()["read_repairs"],
                       at_answer, c)


@dataclass(frozen=True)
class MonotonicFacts:
    """Two successive QUORUM reads after a write that reached only a minority."""

    mode: str               # the read_repair option
    key: str
    before: dict            # node -> value after the failed write
    bob: Any                # Result of Bob's QUORUM read (via n2)
    bob_repaired: dict      # node -> value the moment Bob got his answer
    carol: Any              # Result of Carol's QUORUM read (via n3), right after Bob's
    monotonic: bool         # Carol did not read older than Bob
    cluster: Any = field(repr=False, compare=False)


def monotonic_quorum_reads(seed: int = 1, *, mode: str = "blocking") -> MonotonicFacts:
    """The case Cassandra's blocking read repair exists for. Three nodes, RF 3, hints off.
    A QUORUM write of ``"new"`` reaches only ``n1`` (its messages to ``n2``, ``n3`` are cut) and
    times out: ``n1`` holds new, ``n2``/``n3`` old. ``n3`` crashes, not yet noticed. Bob reads
    at QUORUM via ``n2``; then ``n3`` restarts, ``n1 -> n3`` is cut, and Carol reads at QUORUM
    via ``n3``.

    ``mode="blocking"``: Bob's read asks ``n2`` and ``n1``, writes new to ``n2`` and waits for it
    before answering, so a quorum holds what Bob saw and Carol (asking ``n3`` and ``n2``)
    reads new. ``mode="async"``: Bob's answer comes after 2 of 3 replies; the repair waits for
    the crashed ``n3``, so Carol (hearing ``n2`` and ``n3``) reads old: time went backwards.
    """
    c = Cluster(mode="ap", nodes=3, seed=seed, hinted_handoff=False, read_repair=mode)
    key = key_where(c, lambda p: p == ["n2", "n1", "n3"], prefix="user:")
    writer = c.client("writer", near="n1")
    bob, carol = c.client("bob", near="n2"), c.client("carol", near="n3")
    writer.put(key, "old", consistency="all")
    c.cut("n1", "n2")
    c.cut("n1", "n3")
    writer.put(key, "new", consistency="quorum")     # times out: applied on n1 only
    c.heal()
    c.run_for(100)
    before = holders(c, key)
    c.crash("n3")
    b = bob.get(key, consistency="quorum")
    repaired = holders(c, key)
    c.restart("n3")
    c.cut("n1", "n3")
    r = carol.get(key, consistency="quorum")
    monotonic = not (b.ok and r.ok and b.value == "new" and r.value == "old")
    return MonotonicFacts(mode, key, before, b, repaired, r, monotonic, c)


# -- anti-entropy --------------------------------------------------------------------------
@dataclass(frozen=True)
class AntiEntropyFacts:
    """Merkle-tree anti-entropy after a replica missed a few writes."""

    stale_node: str
    keys_total: int
    keys_on_stale: int      # keys the stale node is a replica of
    changed: tuple          # keys written while it was down (it is a replica of each)
    stale_before: dict      # changed key -> value on the stale node before the repair
    stale_after: dict       # changed key -> value on the stale node at the end
    keys_received: tuple    # keys the stale node received from anti-entropy (trace)
    stats: dict             # anti_entropy_stats() of the repair period
    cluster: Any = field(repr=False, compare=False)


def anti_entropy(seed: int = 1, *, keys: int = 60, changed: int = 3, period_ms: int = 200,
                 repair_ms: int = 3000) -> AntiEntropyFacts:
    """Load ``keys`` keys everywhere, crash ``n3``, write ``changed`` of its keys, restart it
    (hints and read repair off), and let Merkle-tree anti-entropy (every ``period_ms``) find
    and exchange only what differs."""
    c = Cluster(mode="ap", nodes=5, seed=seed, hinted_handoff=False, read_repair=False,
                anti_entropy_ms=period_ms)
    alice = c.client("alice", near="n1")
    names = [f"k{i}" for i in range(keys)]
    c.backend.import_data({k: 0 for k in names})   # a loaded table, in sync everywhere
    stale = "n3"
    c.crash(stale)
    c.run_for(600)
    mine = [k for k in names if stale in c.replicas_for(k)]
    chosen = mine[:changed]
    for key in chosen:
        alice.put(key, "new", consistency="one")
    c.run_for(100)
    c.restart(stale)
    before_stats = c.anti_entropy_stats()
    state = {r["key"]: r["value"] for r in c.replica_records() if r["node"] == stale}
    before = {k: state.get(k) for k in chosen}
    c.run_for(repair_ms)
    state = {r["key"]: r["value"] for r in c.replica_records() if r["node"] == stale}
    after_stats = c.anti_entropy_stats()
    stats = {k: after_stats[k] - before_stats[k] for k in after_stats}
    return AntiEntropyFacts(stale, keys, len(mine), tuple(chosen), before,
                            {k: state.get(k) for k in chosen}, keys_received(c, stale), stats, c)
