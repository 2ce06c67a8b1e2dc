"""Scenarios of notebook 03 (CP in depth): the unavailability window of an election, write
concern and ``wtimeout``, stale secondary reads, the rollback of a ``w:1`` write after failover,
and why ``w:"majority"`` writes survive it; the new primary's catch-up phase (5 members).

Each function builds a fresh seeded 3-node replica set, runs one experiment and returns its
facts as a frozen dataclass (plus the cluster, for drawing). ``tests/course/test_cp.py``
asserts every fact the notebook states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Any

from ..check import check_linearizability, check_lost_writes
from ..kv import Cluster
from ..frames import history_frame
from ..kv.probes import events, step_down_ms, wait_for_primary

__all__ = ["ElectionWindow", "election_window", "WriteConcernFacts", "write_concern",
           "StaleSecondaryRead", "stale_secondary_read", "FailoverFacts", "failover",
           "CatchUpFacts", "catch_up", "PartialPartitionFacts", "partial_partition"]


def _started(seed: int, nodes: int = 3, **options) -> Cluster:
    """A fresh seeded replica set that has elected its first primary."""
    c = Cluster(mode="cp", nodes=nodes, seed=seed, **options)
    wait_for_primary(c)
    return c


def _wait_for_new_primary(c, old: str, timeout_ms: int = 3000) -> str | None:
    # A new primary that accepts writes: done with its catch-up phase, its no-op written.
    return wait_for_primary(c, exclude=(old,), timeout_ms=timeout_ms)


# -- elections: the unavailability window ------------------------------------------------------
@dataclass(frozen=True)
class ElectionWindow:
    """What :func:`election_window` measured (simulated ms)."""

    seed: int
    fault: str                 # "crash" or "isolate"
    old_primary: str
    new_primary: str
    term: int
    fault_ms: int              # when the primary crashed or was cut off
    election_start_ms: int     # when the winner started its (dry-run) election
    elected_ms: int            # when it became primary
    first_ok_ms: int           # first write acknowledged after the fault
    refused: int               # writes invoked after the fault and not acknowledged
    refused_definite: int      # ... of which definite failures (not applied)
    refused_indefinite: int    # ... of which unknown (timed out: may have been applied)
    first_errors: list         # a few of their error messages
    attempts: int              # writes invoked after the fault
    cluster: object = None

    @property
    def window_ms(self) -> int:
        """From the fault to the first acknowledged write: writes were refused meanwhile."""
        return self.first_ok_ms - self.fault_ms

    @property
    def detection_ms(self) -> int:
        """From the fault to the start of the election (the election timeout at work)."""
        return self.election_start_ms - self.fault_ms

    @property
    def election_ms(self) -> int:
        """The election itself: dry run, real vote, victory."""
        return self.elected_ms - self.election_start_ms


def election_window(seed: int = 3, *, fault: str = "crash", duration_ms: int = 3000,
                    every_ms: int = 20) -> ElectionWindow:
    """Crash (or isolate) the primary while a client on the majority side writes every
    ``every_ms``; measure from the history how long writes were refused.

    Each write has a 300 ms timeout, so an unanswered write ends as ``info`` and the writer
    moves on (a driver would retry).

    Example:
        >>> w = election_window(seed=3)                # doctest: +SKIP
        >>> w.window_ms                                # doctest: +SKIP
        1186
    """
    if fault not in ("crash", "isolate"):
        raise ValueError(f"fault must be 'crash' or 'isolate', got {fault!r}")
    c = _started(seed)
    old = c.primary
    near = [n for n in c.nodes if n != old][0]
    writer = c.client("writer", near=near)
    writer.put("k", 0)
    fault_ms = c.now
    getattr(c, fault)(old)
    i = 1
    while c.now < fault_ms + duration_ms:
        writer.put("k", i, timeout_ms=300)
        i += 1
        c.run_for(every_ms)
    frame = history_frame(c.history)
    after = frame[(frame.invoke_ms >= fault_ms) & (frame.op == "put")]
    ok = after[after.outcome == "ok"]
    first_ok_ms = int(ok.complete_ms.min())
    before_ok = after[after.invoke_ms < first_ok_ms]
    refused = before_ok[before_ok.outcome != "ok"]
    start_ms, end_ms, winner, term = c.backend.elections[-1]
    return ElectionWindow(
        seed=seed, fault=fault, old_primary=old, new_primary=winner, term=term,
        fault_ms=fault_ms, election_start_ms=start_ms, elected_ms=end_ms,
        first_ok_ms=first_ok_ms, refused=len(refused),
        refused_definite=int((refused.outcome == "fail").sum()),
        refused_indefinite=int((refused.outcome == "info").sum()),
        first_errors=list(dict.fromkeys(refused.error.tolist()))[:3], attempts=len(after),
        cluster=c)


# -- write concern -----------------------------------------------------------------------------
@dataclass(frozen=True)
class WriteConcernFacts:
    """What :func:`write_concern` measured."""

    seed: int
    primary: str
    median_latency_ms: dict    # w -> median latency of healthy writes (w=1, 2, 3, "majority")
    wtimeout_ms: int
    timed_out: object          # Result of the w:"majority" write while the primary was cut off
    held_by_during: list       # nodes holding its value while cut off (just the primary)
    read_after_heal: object    # Result of a majority read of the key after the heal
    held_by_after: list        # nodes holding its value after the heal
    committed_after: bool      # its value is majority-committed after the heal
    cluster: object = None


def write_concern(seed: int = 1, *, writes: int = 20, wtimeout_ms: int = 200,
                  cut_ms: int = 500) -> WriteConcernFacts:
    """Latency of w=1 / 2 / 3 / "majority" writes; then a ``wtimeout`` that is not a failure.

    The primary (and the writer, near it) is cut off for ``cut_ms`` (shorter than the election
    timeout, so no election happens); a ``w:"majority"`` write with ``wtimeout_ms`` times out
    with an indefinite error; after the heal the same write replicates and commits.

    Example:
        >>> f = write_concern(seed=1)                  # doctest: +SKIP
        >>> f.timed_out.outcome, f.committed_after    # doctest: +SKIP
        ('info', True)
    """
    c = _started(seed)
    p = c.primary
    alice = c.client("alice", near=p)
    latency = {}
    for w in (1, 2, 3, "majority"):
        results = [alice.put(f"w{w}", i, w=w) for i in range(writes)]
        latency[w] = median(r.latency_ms for r in results)
    c.run_for(300)
    c.isolate(p)
    timed_out = alice.put("y", "maybe", w="majority", wtimeout_ms=wtimeout_ms)
    during = sorted(r["node"] for r in c.replica_records()
                    if r["key"] == "y" and r["value"] == "maybe")
    c.run_for(max(0, cut_ms - wtimeout_ms))
    c.heal()
    c.run_for(500)
    read = alice.get("y", read_concern="majority")
    after = sorted(r["node"] for r in c.replica_records()
                   if r["key"] == "y" and r["value"] == "maybe")
    node = c.backend.nodes[c.primary]
    committed = node.oplog.get_committed("y")[0] == "maybe"
    return WriteConcernFacts(seed=seed, primary=p, median_latency_ms=latency,
                             wtimeout_ms=wtimeout_ms, timed_out=timed_out, held_by_during=during,
                             read_after_heal=read, held_by_after=after,
                             committed_after=committed, cluster=c)


# -- stale secondary reads ---------------------------------------------------------------------
@dataclass(frozen=True)
class StaleSecondaryRead:
    """What :func:`stale_secondary_read` observed."""

    seed: int
    primary: str
    lagging: str               # the secondary the primary cannot reach
    fresh: str                 # the other secondary
    write: object              # Result of the w:"majority" write of "new"
    lagging_read: object       # Result of read_preference="secondary" near the lagging node
    fresh_read: object         # ... near the fresh node
    primary_read: object       # Result of a default (primary) read
    synced_from: str | None    # the sync source the lagging node chose, cut still there
    caught_up: bool            # it held "new" 600 ms after the reads (chained replication)
    cluster: object = None


def stale_secondary_read(seed: int = 1) -> StaleSecondaryRead:
    """One secondary stops receiving the oplog (a one-way cut from the primary); a majority
    write still succeeds; a secondary read there returns the old value. With chained
    replication (MongoDB's default) the lagging secondary then picks the other secondary as
    its sync source and holds the write 600 ms later, the cut still in place.

    Example:
        >>> s = stale_secondary_read(seed=1)           # doctest: +SKIP
        >>> s.lagging_read.value, s.primary_read.value  # doctest: +SKIP
        ('old', 'new')
    """
    c = _started(seed)
    p = c.primary
    lag, fresh = [n for n in c.nodes if n != p]
    a = c.client("alice", near=p)
    a.put("x", "old")
    c.run_for(300)
    c.cut(p, lag)
    write = a.put("x", "new")
    c.run_for(50)                        # the readers come a little later
    lagging_read = c.client("reader", near=lag).get("x", read_preference="secondary")
    fresh_read = c.client("reader2", near=fresh).get("x", read_preference="secondary")
    primary_read = a.get("x")
    c.run_for(600)                       # two heartbeat intervals and a fetch
    sources = events(c, "replication", node=lag, action="sync_source")
    caught_up = "new" in [e.value for e in c.backend.oplog(lag)]
    return StaleSecondaryRead(seed=seed, primary=p, lagging=lag, fresh=fresh, write=write,
                              lagging_read=lagging_read, fresh_read=fresh_read,
                              primary_read=primary_read,
                              synced_from=sources[0].data["source"] if sources else None,
                              caught_up=caught_up, cluster=c)


# -- failover: rollback of w:1 writes, survival of w:"majority" writes -------------------------
@dataclass(frozen=True)
class FailoverFacts:
    """What :func:`failover` observed."""

    seed: int
    w: object                  # the write concern of alice's write on the cut-off primary
    old_primary: str
    new_primary: str
    base: object               # Result of the w:"majority" write of "base" before the cut
    isolate_ms: int
    write: object              # Result of alice's write of "lost" on the cut-off primary
    local_read: object         # alice's read_concern="local" read on the cut-off primary
    majority_read: object      # alice's read_concern="majority" read there
    linearizable_read: object  # alice's read_concern="linearizable" read there
    state_before_heal: list    # replica records (node, key, value, version) before the heal
    heal_ms: int
    state_after_heal: list     # ... after the heal and the rollback
    rollbacks: list            # c.rollbacks()
    read_after: object         # bob's read after the heal
    lost_writes: object        # caplab.check.check_lost_writes result
    linearizability: object    # caplab.check.check_linearizability result
    cluster: object = None

    @property
    def rolled_back_values(self) -> list:
        return [r["value"] for r in self.rollbacks if r["key"] == "x"]


def failover(seed: int = 1, *, w=1, nodes: int = 3) -> FailoverFacts:
    """Alice, near the primary, writes ``x="base"`` (majority). The primary is cut off with
    her (with ``nodes`` = 5, together with one secondary: a minority of two, where ``w: 2``
    can still be acknowledged); she writes ``x="lost"`` with write concern ``w`` and reads it back with three read
    concerns. The majority elects a new primary; the network heals; the old primary rolls back
    what the majority never had. Bob, on the majority side, reads ``x`` at the end.

    Example:
        >>> f = failover(seed=1, w=1)                  # doctest: +SKIP
        >>> f.write.ok, f.rolled_back_values, f.read_after.value   # doctest: +SKIP
        (True, ['lost'], 'base')
    """
    c = _started(seed, nodes)
    old = c.primary
    rest = [n for n in c.nodes if n != old]
    alice = c.client("alice", near=old)
    bob = c.client("bob", near=rest[0] if nodes <= 3 else rest[-1])   # on the majority side
    base = alice.put("x", "base", w="majority")
    c.run_for(300)
    isolate_ms = c.now
    if nodes > 3:
        # the primary keeps one secondary: two of five, so w: 2 is reachable, a majority not
        c.partition([old, rest[0]], rest[1:])
    else:
        c.isolate(old)
    if w == 1:
        write = alice.put("x", "lost", w=1)
        local = alice.get("x", read_concern="local")
        majority = alice.get("x", read_concern="majority")
        linear = alice.get("x", read_concern="linearizable")
    else:
        write = alice.put("x", "lost", w=w)
        local = majority = linear = None
    new = _wait_for_new_primary(c, old)
    before = c.replica_records()
    heal_ms = c.now
    c.heal()
    c.run_for(1500)
    after = c.replica_records()
    read_after = bob.get("x")
    final_state = {"x": sorted({r["value"] for r in after if r["key"] == "x"})}
    return FailoverFacts(
        seed=seed, w=w, old_primary=old, new_primary=new, base=base, isolate_ms=isolate_ms,
        write=write, local_read=local, majority_read=majority, linearizable_read=linear,
        state_before_heal=before, heal_ms=heal_ms, state_after_heal=after,
        rollbacks=c.rollbacks(), read_after=read_after,
        lost_writes=check_lost_writes(c.history, final_state=final_state),
        linearizability=check_linearizability(c.history), cluster=c)


# -- the catch-up phase -------------------------------------------------------------------------
@dataclass(frozen=True)
class CatchUpFacts:
    """What :func:`catch_up` observed."""

    seed: int
    fresh_reachable: bool      # False: the fresher member crashed with the primary
    old_primary: str
    fresh: str                 # the one secondary that received the w:2 write
    new_primary: str | None
    write: object              # Result of the w:2 write of x="two"
    catch_up_log: list         # the new primary's catch-up trace lines (text, for people)
    synced_from: str | None    # the member the new primary caught up from, if any (trace data)
    chained: tuple             # members that synced from ``fresh`` before the election
    rollbacks: list            # c.rollbacks() at the end
    values: dict               # node -> value of x at the end (members that are up)
    cluster: object = None

    @property
    def rolled_back_values(self) -> list:
        return [r["value"] for r in self.rollbacks if r["key"] == "x"]


def catch_up(seed: int = 1, *, fresh_reachable: bool = True,
             chaining_allowed: bool = True) -> CatchUpFacts:
    """Five members (a majority is 3). Alice writes ``x="base"`` (majority), then ``x="two"``
    with ``w: 2`` while the primary's messages reach only one secondary, ``fresh``; the write is
    acknowledged and the primary crashes. With chained replication (MongoDB's default) the
    others fetch the write from ``fresh`` before the election (``chained``). Without it
    (``chaining_allowed=False``) they lack it, and the new primary catches up from ``fresh``
    before accepting writes, if it can reach it (``fresh_reachable``; else ``fresh`` crashed too
    and comes back after the election, to find its entry rolled back).

    Example:
        >>> f = catch_up(seed=1, chaining_allowed=False)           # doctest: +SKIP
        >>> f.write.ok, f.new_primary != f.fresh, f.rollbacks      # doctest: +SKIP
        (True, True, [])
    """
    c = Cluster(mode="cp", nodes=5, seed=seed, chaining_allowed=chaining_allowed)
    old = wait_for_primary(c)
    fresh, *others = [n for n in c.nodes if n != old]
    alice = c.client("alice", near=old)
    alice.put("x", "base", w="majority")
    c.run_for(100)
    for o in others:
        c.cut(old, o)              # one way: only fresh still hears the primary
    write = alice.put("x", "two", w=2)
    c.crash(old)
    if not fresh_reachable:
        c.crash(fresh)
    c.heal()
    new = _wait_for_new_primary(c, old, timeout_ms=5000)
    if not fresh_reachable:
        c.restart(fresh)
    c.run_for(1500)
    log = [e.detail for e in c.sim.trace.of_kind("catch-up") if e.node == new]
    syncing = events(c, "catch-up", node=new, action="syncing")
    won_ms = c.backend.elections[-1][0] if c.backend.elections else c.now
    chained = tuple(sorted({e.node for e in events(c, "replication", action="sync_source",
                                                   source=fresh) if e.time_ms < won_ms}))
    values = {r["node"]: r["value"] for r in c.replica_records()
              if r["key"] == "x" and c.backend.nodes[r["node"]].up}
    return CatchUpFacts(seed=seed, fresh_reachable=fresh_reachable, old_primary=old,
                        fresh=fresh, new_primary=new, write=write, catch_up_log=log,
                        synced_from=syncing[-1].data["source"] if syncing else None,
                        chained=chained, rollbacks=c.rollbacks(), values=values, cluster=c)


# -- partial partitions ----------------------------------------------------------------------
@dataclass(frozen=True)
class PartialPartitionFacts:
    """A secondary cut off from the primary only (both directions), the third member between.

    No client writes during the cut. ``write_after`` is a write by a client that connects
    through the third member (the bridge) at the end. ``new_primary`` is the member that first
    won an election after the cut (None: the old one stayed); ``elected_after_ms`` how long
    after the cut it won; ``old_stepped_down_after_ms`` how long after the cut the old primary
    stepped down (None: it did not); ``primaries`` every ``(term, member)`` that became primary,
    oldest first (with chaining the two cut members take turns: flapping).
    """

    dry_run_rule: str
    chaining_allowed: bool
    old_primary: str
    cut_secondary: str
    bridge: str
    new_primary: str | None
    elected_after_ms: int | None
    old_stepped_down_after_ms: int | None
    terms: tuple
    primaries: tuple
    write_after: Any
    cluster: Any = field(repr=False, compare=False)


def partial_partition(seed: int = 1, *, dry_run_rule: str = "mongodb",
                      chaining_allowed: bool = True, run_ms: int = 3000) -> PartialPartitionFacts:
    """Cut one secondary off from the primary (not from the third member) and watch.

    MongoDB: a data-bearing member grants a dry-run vote whatever primary it still sees (only an
    arbiter refuses), so the cut secondary, which no longer hears the primary, wins an election
    through the third member, and the old primary steps down when it learns the newer term.
    With chained replication (MongoDB's default ``chainingAllowed``) the old primary, now a
    secondary cut off from the new one, syncs through the third member, stays current, and
    after an election timeout wins back: the two take turns (flapping). Without chaining it
    falls behind the new primary's first entry and the third member refuses it for its older
    optime. With Raft's pre-vote and check-quorum (``dry_run_rule="raft_prevote"``) the third
    member, which still hears a healthy primary, refuses, and the primary stays.

    Args:
        seed: the simulation seed.
        dry_run_rule: ``"mongodb"`` (default) or ``"raft_prevote"``.
        chaining_allowed: MongoDB's ``settings.chainingAllowed`` (default True).
        run_ms: how long to watch after the cut.

    Returns:
        :class:`PartialPartitionFacts`.

    Example:
        >>> pp = partial_partition(seed=1)                       # doctest: +SKIP
        >>> pp.new_primary == pp.cut_secondary, pp.terms         # doctest: +SKIP
        (True, (1, 2, 3))
    """
    c = _started(seed, dry_run_rule=dry_run_rule, chaining_allowed=chaining_allowed)
    old = c.primary
    cut, bridge = [n for n in c.nodes if n != old][:2]
    alice = c.client("alice", near=bridge)
    alice.put("x", "before")
    c.run_for(200)                   # every member holds it: nobody is behind at the cut
    cut_ms = c.now
    c.cut(old, cut)
    c.cut(cut, old)
    c.run_for(run_ms)
    # A client that connects now (caplab's driver learns the primary from replies only, so
    # alice would keep asking the member she last knew as primary).
    after = c.client("bob", near=bridge).put("x", "after", timeout_ms=2000)
    won = [e for e in events(c, "role", role="primary", since_ms=cut_ms) if e.node != old]
    stepped = step_down_ms(c, old, after_ms=cut_ms)
    primaries = tuple((e.data["term"], e.node) for e in events(c, "role", role="primary"))
    return PartialPartitionFacts(
        dry_run_rule, chaining_allowed, old, cut, bridge, won[0].node if won else None,
        won[0].time_ms - cut_ms if won else None,
        stepped - cut_ms if stepped is not None else None,
        tuple(sorted({term for term, _ in primaries})), primaries, after, c)
