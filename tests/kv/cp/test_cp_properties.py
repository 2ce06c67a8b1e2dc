"""Guarantees under random fault schedules (hypothesis): one primary per term, no lost
majority-acknowledged write, and linearizable histories with w:majority + linearizable reads."""

from hypothesis import given, settings, strategies as st

from caplab.check.linearizability import check_linearizability
from caplab.kv import Cluster
from caplab.kv.workload import Workload

from helpers_cp import primaries_by_term, wait_primary

FAULTS = ("partition", "isolate", "crash", "cut")


def _run(seed, nodes, faults, read_concern="linearizable", w="majority"):
    c = Cluster(mode="cp", nodes=nodes, seed=seed)
    work = Workload(c, clients=3, keys=2, put_options={"w": w},
                    get_options={"read_concern": read_concern})
    c.nemesis(duration_ms=4500, faults=faults, mean_gap_ms=300, fault_ms=(200, 1500))
    work.run(duration_ms=5000)
    c.heal()
    c.run_for(3000)
    return c


schedules = dict(seed=st.integers(0, 10_000), nodes=st.sampled_from([3, 5]),
                 faults=st.lists(st.sampled_from(FAULTS), min_size=1, max_size=3,
                                 unique=True).map(tuple))


@settings(max_examples=30, deadline=None)
@given(**schedules)
def test_at_most_one_primary_per_term(seed, nodes, faults):
    """Under random partitions, cuts and crashes, no term ever has two primaries."""
    c = _run(seed, nodes, faults)
    for term, members in primaries_by_term(c).items():
        assert len(members) == 1, f"term {term}: {sorted(members)}"


@settings(max_examples=30, deadline=None)
@given(**schedules)
def test_no_majority_acknowledged_write_is_lost(seed, nodes, faults):
    """After heal, every ok w:majority write is in the primary's oplog exactly once, and
    replicas converge. A write rolled back on a deposed primary may be acknowledged after all:
    the driver retried it (retryable writes) and the new primary applied it once."""
    c = _run(seed, nodes, faults)
    primary = wait_primary(c)
    assert primary is not None
    c.run_for(1000)
    oplog = c.backend.nodes[primary].oplog
    held = {(e.key, e.value) for e in oplog.entries if e.op == "put"}
    acked = {(op.key, op.value) for op in c.history if op.op == "put" and op.outcome == "ok"}
    assert acked <= held, sorted(acked - held)
    lost = {(r["key"], r["value"]) for r in c.rollbacks()}
    assert (lost & acked) <= held
    sessions = [e.session for e in oplog.entries if e.op == "put"]
    for op in c.history:
        if op.op == "put" and op.outcome == "ok":
            assert sessions.count((op.client, op.id)) == 1, op
    logs = {tuple(n.oplog.entries) for n in c.backend.nodes.values()}
    assert len(logs) == 1, "replicas did not converge after heal"


@settings(max_examples=25, deadline=None)
@given(**schedules)
def test_majority_writes_and_linearizable_reads_are_linearizable(seed, nodes, faults):
    """With w:majority writes and linearizable reads the history is linearizable."""
    c = _run(seed, nodes, faults)
    result = check_linearizability(c.history)
    assert result.ok, result.explain()


def test_w1_and_local_reads_under_partitions_are_caught_by_the_checker():
    """Counter-check: w:1 writes with local reads under isolation yield a non-linearizable history."""
    for seed in range(20):
        c = _run(seed, 3, ("isolate",), read_concern="local", w=1)
        if not check_linearizability(c.history).ok:
            assert c.rollbacks()
            return
    raise AssertionError("no seed produced a non-linearizable history")
