"""Determinism, and guarantees under random fault schedules (hypothesis): the source holds every
acknowledged write, and after a promotion lost_writes() is exactly what the new source lacks."""

import os
import subprocess
import sys

from hypothesis import given, settings, strategies as st

from caplab.kv import Cluster
from caplab.kv.workload import Workload
from caplab.net.latency import Uniform

SCRIPT = """
import sys
from caplab import Cluster, Workload
c = Cluster(mode="ca", nodes=3, seed=7, semi_sync=True, semi_sync_timeout_ms=300)
c.nemesis(duration_ms=3000, faults=("partition", "isolate", "crash"))
Workload(c, clients=3, keys=2, get_options={"read_from": "replica"}).run(duration_ms=3500)
c.crash("n1"); c.promote("n2"); c.restart("n1"); c.run_for(1000)
print(c.sim.trace.text() + c.history.text())
"""


def test_same_seed_same_history_text_in_fresh_processes():
    """A seeded run with faults, semi-sync fallbacks and a promotion prints the same trace and
    history in three processes with different hash salts."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": os.pathsep.join(sys.path)}
    outs = {subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                           check=True, env={**env, "PYTHONHASHSEED": str(i)}).stdout
            for i in range(3)}
    assert len(outs) == 1 and "promoted by the operator" in outs.pop()


def _puts(c, outcomes):
    return {(op.key, op.value) for op in c.history if op.op == "put" and op.outcome in outcomes}


def _run(seed, faults, semi_sync, *, crash_source=False):
    """A random fault schedule under a workload; with ``crash_source`` the source crashes at the
    end with operations still in flight (the faults may still be on)."""
    options = {"wait_for_replica_count": 1, "semi_sync_timeout_ms": 300} if semi_sync else {}
    c = Cluster(mode="ca", nodes=3, seed=seed, **options)
    c.network.set_latency(Uniform(5, 80), kind="BinlogEvents")   # a slow replication link
    work = Workload(c, clients=3, keys=2, mean_think_ms=20)
    c.nemesis(duration_ms=3000, faults=faults, mean_gap_ms=300, fault_ms=(200, 1200))
    work.start()
    c.run_for(3500)
    if crash_source and c.backend.nodes[c.primary].up:
        c.crash(c.primary)
    work.stop()
    c.sim.run_until(lambda: all(not client.pending for client in work.clients))
    return c


schedules = dict(seed=st.integers(0, 10_000),
                 faults=st.lists(st.sampled_from(("partition", "isolate", "crash")), min_size=1,
                                 max_size=3, unique=True).map(tuple),
                 semi_sync=st.booleans())


@settings(max_examples=25, deadline=None)
@given(**schedules)
def test_every_acknowledged_write_is_on_the_source(seed, faults, semi_sync):
    """Without a promotion nothing is lost: every write acknowledged ok is in the source's
    binlog, and lost_writes() is empty."""
    c = _run(seed, faults, semi_sync)
    held = {(e.key, e.value) for e in c.binlog(c.primary)}
    assert _puts(c, {"ok"}) <= held and c.lost_writes() == []


@settings(max_examples=25, deadline=None)
@given(**schedules, choice=st.integers(0, 1))
def test_lost_writes_are_exactly_the_acknowledged_writes_the_new_source_lacks(
        seed, faults, semi_sync, choice):
    """After a crash of the source and a promotion: every write acknowledged to a client and
    missing from the new source is listed; every listed write is missing from it and was
    acknowledged by the source (its client saw ok, or timed out waiting for the answer)."""
    c = _run(seed, faults, semi_sync, crash_source=True)
    candidates = [n for n in c.nodes if n != c.primary]
    new = candidates[choice]
    if not c.backend.nodes[new].up:
        c.restart(new)
    returned = c.promote(new)
    held = {(e.key, e.value) for e in c.binlog(new)}
    lost = {(w["key"], w["value"]) for w in c.lost_writes()}
    assert {(w["key"], w["value"]) for w in returned} == lost
    assert _puts(c, {"ok"}) - held <= lost
    assert lost <= _puts(c, {"ok", "info"}) - held
