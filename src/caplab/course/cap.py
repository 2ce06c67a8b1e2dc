"""Scenarios of notebooks 01 (start here) and 02 (CAP in practice): a first partition of a
replica set, and the same partition on a CP, an AP and a CA cluster side by side.

Each function builds fresh seeded clusters, runs one experiment and returns its facts as a
frozen dataclass (plus the clusters, for drawing). The notebooks print sentences built from
these facts and the tests in ``tests/course/test_cap.py`` assert them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..check import check_all
from ..errors import check_flag
from ..kv import Cluster
from ..kv.probes import holders, wait_for_primary
from ..kv.workload import Workload
from ..viz import cluster_graph_data
from ..frames import history_frame

__all__ = ["FirstPartition", "first_partition", "SideFacts", "CapComparison", "cap_side_by_side",
           "AP_OPTIONS", "CP_OPTIONS", "CA_OPTIONS", "ELECTION_WAIT_MS"]

#: how long we wait after cutting the primary off for the majority to elect a new one: the
#: election timeout (1000 ms) + its random offset (<= 150 ms) + a few round trips, with room
ELECTION_WAIT_MS = 2000

#: the AP ring of notebook 02: Cassandra's usual consistency level ONE for reads and writes
AP_OPTIONS = {"write_consistency": "one", "read_consistency": "one"}

#: the CP replica set of notebook 02: MongoDB's consistent settings, ``w: "majority"`` writes (the
#: default) and ``linearizable`` reads. With the default read concern ``local`` a cut-off primary
#: keeps answering reads until it steps down, including writes later rolled back (notebook 03).
CP_OPTIONS = {"write_concern": "majority", "read_concern": "linearizable"}

#: the client of ``cut_off_reader``: it only reads, near the cut-off node
READER = "reader"

#: the CA topology of notebook 02: a MySQL-style source with asynchronous replicas (MySQL's
#: default) and an application that splits reads from writes: writes to the source, reads to a
#: replica (the client's own node when it is one). No one promotes a replica during the run.
CA_OPTIONS = {"read_from": "replica"}

#: public methods (listed in a backend's ``PUBLIC``) that return the writes a system discarded by
#: itself: CP's rollbacks, CA's errant transactions of a node that rejoined a newer source
_DISCARD_METHODS = ("rollbacks", "errant_transactions")


def _step_down_ms(cluster, node: str, after_ms: int) -> int | None:
    """When ``node`` stopped being primary after ``after_ms`` (from the trace), or None."""
    from ..kv.probes import step_down_ms
    return step_down_ms(cluster, node, after_ms)


# -- notebook 01: a first partition ------------------------------------------------------------
@dataclass(frozen=True)
class FirstPartition:
    """What happened in :func:`first_partition` (times in simulated ms)."""

    seed: int
    first_primary: str             # elected at start-up
    first_election_ms: int         # when it became primary
    write: object                  # Result of alice's first put (x=1), acknowledged by a majority
    isolate_ms: int                # when the primary (and alice, near it) was cut off
    cut_off_write: object          # Result of alice's put (x=2) on the cut-off side
    old_primary_step_down_ms: int | None   # when the cut-off primary stepped down
    new_primary: str | None        # elected by the majority side
    new_primary_term: int
    new_primary_elected_ms: int    # when it became primary
    majority_write: object         # Result of bob's put (x=3) on the majority side
    heal_ms: int
    roles_after_heal: dict
    values_after_heal: dict        # node -> value of x after the heal
    rolled_back: list              # c.rollbacks(): alice's unacknowledged x=2
    stages: list = field(default_factory=list)   # [(title, cluster_graph_data)]
    cluster: object = None

    @property
    def election_after_cut_ms(self) -> int:
        """From the cut to a new primary: how long the majority side had no primary."""
        return self.new_primary_elected_ms - self.isolate_ms


def first_partition(seed: int = 1) -> FirstPartition:
    """A 3-node replica set: write, cut the primary off, the majority elects, heal.

    Alice sits near the first primary (a partition cuts her off with it); Bob sits near another
    node. Alice writes x=1; the primary is isolated; Alice writes x=2 on her (minority) side;
    the majority side elects a new primary and Bob writes x=3 there; the network heals.

    Example:
        >>> f = first_partition(seed=1)                      # doctest: +SKIP
        >>> f.first_primary, f.new_primary                   # doctest: +SKIP
        ('n3', 'n2')
    """
    c = Cluster(mode="cp", nodes=3, seed=seed)
    stages = []
    first = wait_for_primary(c)
    first_ms = c.backend.elections[-1][1]
    others = [n for n in c.nodes if n != first]
    alice = c.client("alice", near=first)
    bob = c.client("bob", near=others[0])
    stages.append(("1. a primary is elected", cluster_graph_data(c, key="x")))
    write = alice.put("x", 1)
    c.run_for(300)                       # a heartbeat or two: the secondaries apply it
    stages.append(("2. alice writes x=1; every node holds it", cluster_graph_data(c, key="x")))
    isolate_ms = c.now
    c.isolate(first)
    stages.append((f"3. {first} (and alice) cut off", cluster_graph_data(c, key="x")))
    cut_off_write = alice.put("x", 2)    # waits for a majority it cannot reach
    new = wait_for_primary(c, timeout_ms=ELECTION_WAIT_MS, exclude=(first,))
    start_ms, elected_ms, winner, term = c.backend.elections[-1]
    stages.append((f"4. the majority elects {new}", cluster_graph_data(c, key="x")))
    majority_write = bob.put("x", 3)
    stages.append((f"5. bob writes x=3 through {new}", cluster_graph_data(c, key="x")))
    heal_ms = c.now
    c.heal()
    c.run_for(1000)
    stages.append(("6. healed: one primary, one value", cluster_graph_data(c, key="x")))
    values = holders(c, "x")
    return FirstPartition(
        seed=seed, first_primary=first, first_election_ms=first_ms, write=write,
        isolate_ms=isolate_ms, cut_off_write=cut_off_write,
        old_primary_step_down_ms=_step_down_ms(c, first, isolate_ms), new_primary=new,
        new_primary_term=term, new_primary_elected_ms=elected_ms,
        majority_write=majority_write, heal_ms=heal_ms, roles_after_heal=c.roles(),
        values_after_heal=values, rolled_back=c.rollbacks(), stages=stages, cluster=c)


# -- notebook 02: CP and AP under the same partition -------------------------------------------
@dataclass(frozen=True)
class SideFacts:
    """One cluster's run in :func:`cap_side_by_side`."""

    mode: str
    ops: int
    ok: int
    fail: int
    info: int
    # operations invoked while the network was split, by the side of the client; "ok" counts
    # those answered ok before the heal
    minority_ops: int
    minority_ok: int
    minority_writes: int
    minority_writes_ok: int
    minority_reads_ok: int
    majority_ops: int
    majority_ok: int
    stale_reads: int
    worst_stale_ms: int
    lost_writes: int
    linearizable: str              # the verdict of caplab.check.check_linearizability
    divergent_keys_at_heal: list   # keys the replicas disagreed on just before the heal
    conflicting_keys: list         # keys with acknowledged writes on both sides of the split
    values_at_heal: dict           # key -> {node: value} just before the heal
    values_after: dict             # key -> {node: value} at the end
    rolled_back: int               # writes the system discarded itself (CP: rollbacks)
    summary: dict                  # for caplab.viz.availability_consistency_bars
    history: object = None
    cluster: object = None
    stale_result: object = None
    lin_result: object = None
    #: CP: reads answered ok with a value that was later rolled back (client, key, value, node)
    rolled_back_reads: tuple = ()
    #: stale reads (by the checker) of the cut-off clients, invoked during the split
    minority_stale_reads: int = 0
    #: writes of the majority clients invoked during the split, and those answered ok in it
    majority_writes: int = 0
    majority_writes_ok: int = 0
    #: CA: node -> replication lag (ms) just before the heal (empty for modes without one)
    lag_at_heal: dict = field(default_factory=dict)

    @property
    def ok_share(self) -> float:
        return self.ok / self.ops if self.ops else 0.0

    @property
    def minority_ok_share(self) -> float:
        return self.minority_ok / self.minority_ops if self.minority_ops else 0.0

    @property
    def majority_ok_share(self) -> float:
        return self.majority_ok / self.majority_ops if self.majority_ops else 0.0


@dataclass(frozen=True)
class CapComparison:
    """The facts of :func:`cap_side_by_side`: one fault schedule, two clusters."""

    seed: int
    victim: str                    # the node cut off (the CP cluster's first primary)
    minority_clients: list         # clients near it (cut off with it)
    majority_clients: list
    split_ms: int
    heal_ms: int
    end_ms: int
    schedule: list                 # the nemesis schedule every cluster ran
    cp: SideFacts
    ap: SideFacts
    ca: SideFacts | None = None
    ca_primary: str | None = None  # the CA topology's source (it never changes: no failover)


def _discarded_writes(cluster) -> list[dict]:
    """The writes ``cluster`` threw away by itself (dicts with ``key`` and ``value``), read
    through whichever of :data:`_DISCARD_METHODS` its mode offers, never by the mode's name."""
    public = cluster.backend.PUBLIC
    return [r for name in _DISCARD_METHODS if name in public for r in getattr(cluster, name)()]


def _values_by_key(cluster) -> dict:
    out: dict = {}
    for r in cluster.replica_records():
        out.setdefault(r["key"], {})[r["node"]] = r["value"]
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def _answered(frame):
    """Operations answered ok *during* the split (an op that waited out the partition and
    completed after the heal was not available while the network was split)."""
    return (frame.outcome == "ok") & (frame.complete_ms < frame.attrs["heal_ms"])


def _acked_keys(frame) -> list:
    return sorted(set(frame[_answered(frame) & (frame.op == "put")].key))


def _run_side(mode, seed, schedule, split_ms, heal_ms, end_ms, minority, options,
              reader_near=None) -> SideFacts:
    c = Cluster(mode=mode, nodes=3, seed=seed, **options)
    c.run(until=split_ms - 1000)           # CP: the first election is over well before this
    workloads = [Workload(c, clients=3, keys=2, read_fraction=0.5, mean_think_ms=50)]
    if reader_near is not None:            # its own random stream: the others' ops unchanged
        c.client(READER, near=reader_near)
        workloads.append(Workload(c, clients=[READER], keys=2, read_fraction=1.0,
                                  mean_think_ms=50, stream="reader"))
    c.nemesis(schedule)
    for w in workloads:
        w.start()
    c.run(until=heal_ms - 1)
    at_heal = _values_by_key(c)
    lag = c.replication_lag() if "replication_lag" in c.backend.PUBLIC else {}
    c.run(until=end_ms)
    for w in workloads:
        w.stop()
    c.sim.run_until(lambda: all(not cl.pending for w in workloads for cl in w.clients))
    c.run_for(1000)                        # let replication, hints and repairs settle
    frame = history_frame(c.history)
    during = frame[(frame.invoke_ms >= split_ms) & (frame.invoke_ms < heal_ms)]
    mino = during[during.client.isin(minority)].copy()
    majo = during[~during.client.isin(minority)].copy()
    mino.attrs["heal_ms"] = majo.attrs["heal_ms"] = heal_ms
    final = _values_by_key(c)
    final_state = {k: sorted(set(v.values()), key=repr) for k, v in final.items()}
    checks = check_all(c.history, final_state=final_state)   # the one place summaries come from
    stale, lin, lost = checks["stale reads"], checks["linearizability"], checks["lost writes"]
    # A dirty read: served by a member that later threw away the very write it returned (a
    # retried write may be applied again elsewhere after heal: reading it there is not dirty).
    discarded = _discarded_writes(c)
    rolled = {(r["node"], r["key"], repr(r["value"])): r["time_ms"] for r in discarded}
    rolled_back_reads = tuple(
        (op.client, op.key, op.value, op.node) for op in c.history
        if op.op == "get" and op.outcome == "ok"
        and op.complete_ms <= rolled.get((op.node, op.key, repr(op.value)), -1))
    summary = checks.as_dict()
    return SideFacts(
        mode=mode, ops=len(frame), ok=summary["ok"], fail=summary["fail"], info=summary["info"],
        minority_ops=len(mino), minority_ok=int(_answered(mino).sum()),
        minority_writes=int((mino.op == "put").sum()),
        minority_writes_ok=int(((mino.op == "put") & _answered(mino)).sum()),
        minority_reads_ok=int(((mino.op == "get") & _answered(mino)).sum()),
        majority_ops=len(majo), majority_ok=int(_answered(majo).sum()),
        stale_reads=len(stale.stale), worst_stale_ms=stale.max_stale_ms or 0,
        lost_writes=len(lost.lost), linearizable=lin.verdict,
        divergent_keys_at_heal=[k for k, v in at_heal.items() if len(set(v.values())) > 1],
        conflicting_keys=sorted(set(_acked_keys(mino)) & set(_acked_keys(majo))),
        values_at_heal=at_heal, values_after=final,
        rolled_back=len(discarded), summary=summary,
        history=c.history, cluster=c, stale_result=stale, lin_result=lin,
        rolled_back_reads=rolled_back_reads,
        minority_stale_reads=sum(1 for r in stale.stale if r.client in minority
                                 and split_ms <= r.invoke_ms < heal_ms),
        majority_writes=int((majo.op == "put").sum()),
        majority_writes_ok=int(((majo.op == "put") & _answered(majo)).sum()),
        lag_at_heal=lag)


def cap_side_by_side(seed: int = 1, *, split_ms: int = 2500, partition_ms: int = 3000,
                     run_ms: int = 6000, ap_options: dict | None = None,
                     cp_options: dict | None = None, ca_options: dict | None = None,
                     ca_source_cut_off: bool = False,
                     cut_off_reader: bool = False) -> CapComparison:
    """The same seed, workload and fault schedule on a CP replica set, an AP ring and a CA
    source/replica topology.

    Three clients (``c1``..``c3``, one near each node) read and write two keys for ``run_ms``
    from 1500 ms on. At ``split_ms`` the CP cluster's primary is cut off (with the client near
    it); ``partition_ms`` later the network heals. The replica set uses ``cp_options`` (default
    :data:`CP_OPTIONS`: majority writes, linearizable reads), the AP ring ``ap_options``
    (default :data:`AP_OPTIONS`, consistency ONE), the CA topology ``ca_options`` (default
    :data:`CA_OPTIONS`: asynchronous replicas, reads from a replica). The CA source is the
    first node on the majority side, so the cut-off node is one of its replicas; with
    ``ca_source_cut_off`` it is the cut-off node itself. With ``cut_off_reader`` a fourth
    client, ``reader``, sits with the cut-off node and only reads: it sees what the cut-off
    node holds while ``c1``..``c3`` wait (a client waits for each answer before its next
    operation, so a lone cut-off client stops at its first write until the node steps down).

    Example:
        >>> cmp = cap_side_by_side(seed=1)                    # doctest: +SKIP
        >>> cmp.cp.minority_ok, cmp.ap.minority_ok > 0        # doctest: +SKIP
        (0, True)
    """
    probe = Cluster(mode="cp", nodes=3, seed=seed)
    victim = wait_for_primary(probe)
    heal_ms = split_ms + partition_ms
    end_ms = split_ms - 1000 + run_ms
    schedule = [(split_ms, "isolate", victim), (heal_ms, "heal")]
    check_flag("cut_off_reader", cut_off_reader)
    reader = victim if cut_off_reader else None
    minority = [f"c{i + 1}" for i, n in enumerate(probe.nodes) if n == victim]
    minority += [READER] if cut_off_reader else []
    majority = [f"c{i + 1}" for i, n in enumerate(probe.nodes) if n != victim]
    args = (seed, schedule, split_ms, heal_ms, end_ms, minority)
    cp = _run_side("cp", *args, dict(CP_OPTIONS if cp_options is None else cp_options), reader)
    ap = _run_side("ap", *args, dict(AP_OPTIONS if ap_options is None else ap_options), reader)
    ca_primary = victim if ca_source_cut_off else [n for n in probe.nodes if n != victim][0]
    ca = _run_side("ca", *args, {**(CA_OPTIONS if ca_options is None else ca_options),
                                 "primary": ca_primary}, reader)
    return CapComparison(seed=seed, victim=victim, minority_clients=minority,
                         majority_clients=majority, split_ms=split_ms, heal_ms=heal_ms,
                         end_ms=end_ms, schedule=schedule, cp=cp, ap=ap, ca=ca,
                         ca_primary=ca_primary)
