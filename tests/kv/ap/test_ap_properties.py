"""Guarantees under random faults (hypothesis) and byte-for-byte determinism."""

import hashlib
import os
import subprocess
import sys
import textwrap

from hypothesis import HealthCheck, given, settings, strategies as st

from helpers_ap import ap

NODES = ["n1", "n2", "n3", "n4", "n5"]
KEYS = ["a", "b", "c", "d"]

fault = st.one_of(
    st.tuples(st.just("partition"), st.lists(st.sampled_from(NODES), min_size=1, max_size=4,
                                             unique=True)),
    st.tuples(st.just("crash"), st.sampled_from(NODES)),
    st.tuples(st.just("restart"), st.sampled_from(NODES)),
    st.tuples(st.just("heal"), st.none()),
    st.tuples(st.just("write"), st.tuples(st.sampled_from(NODES), st.sampled_from(KEYS))),
    st.tuples(st.just("wait"), st.integers(1, 800)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(fault, min_size=1, max_size=14), seed=st.integers(0, 1000),
       conflict=st.sampled_from(["lww", "siblings"]))
def test_replicas_converge_after_heal_with_anti_entropy(steps, seed, conflict):
    """With anti-entropy on, after random partitions, crashes and writes, healing and waiting
    leaves every replica of every key holding the same value."""
    c = ap(seed=seed, anti_entropy_ms=200, conflict=conflict)
    clients = {n: c.client(f"c{n}", near=n) for n in NODES}
    value = 0
    for action, arg in steps:
        if action == "partition":
            c.partition(arg)
        elif action == "crash" and c.backend.nodes[arg].up:
            c.crash(arg)
        elif action == "restart" and not c.backend.nodes[arg].up:
            c.restart(arg)
        elif action == "heal":
            c.heal()
        elif action == "write" and c.backend.nodes[arg[0]].up:
            value += 1
            clients[arg[0]].put_async(arg[1], value, consistency="one")
        elif action == "wait":
            c.run_for(arg)
    c.heal()
    for name in NODES:
        if not c.backend.nodes[name].up:
            c.restart(name)
    c.run_for(6000)
    held: dict = {}
    for rec in c.replica_records():
        held.setdefault(rec["key"], {})[rec["node"]] = (rec["value"], rec["version"])
    for key, by_node in held.items():
        replicas = c.replicas_for(key)
        assert set(replicas) <= set(by_node), (key, by_node)
        assert len({by_node[n] for n in replicas}) == 1, (key, by_node)


@settings(max_examples=30, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["put", "get"]), st.sampled_from(NODES),
                              st.sampled_from(KEYS[:2])), min_size=1, max_size=25),
       levels=st.sampled_from([(1, 3), (2, 2), (3, 1), (2, 3), (3, 3)]),
       seed=st.integers(0, 1000))
def test_strict_quorums_read_the_latest_completed_write(ops, levels, seed):
    """With R + W > RF and no faults, every read returns the latest completed write."""
    w, r = levels
    c = ap(seed=seed)
    latest: dict = {}
    for i, (op, near, key) in enumerate(ops):
        client = c.client(f"c{near}", near=near)
        if op == "put":
            assert client.put(key, i, consistency=w).ok
            latest[key] = i
        else:
            res = client.get(key, consistency=r)
            assert res.ok and res.value == latest.get(key)


SCRIPT = textwrap.dedent("""
    from caplab.kv import Cluster
    c = Cluster(mode="ap", nodes=5, seed=7, anti_entropy_ms=250, conflict="siblings")
    a = c.client("alice", near="n1"); b = c.client("bob", near="n4")
    c.skew_clock("n2", offset_ms=300)
    c.nemesis([(100, "partition", ["n1", "n2", "alice"]), (900, "heal"),
               (1200, "crash", "n3"), (1800, "restart", "n3")])
    for i in range(30):
        (a if i % 2 else b).put_async(f"k{i % 4}", i, consistency="one")
        c.run_for(60)
        a.get_async(f"k{i % 3}")
    c.run_for(2000)
    print(c.sim.trace.text()); print(c.history.text())
""")


def test_same_seed_same_trace_and_history_in_fresh_processes():
    """Three fresh processes with the same seed print byte-identical trace and history."""
    env = dict(os.environ, PYTHONHASHSEED="random")
    digests = set()
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, env=env,
                             check=True).stdout
        assert len(out) > 10_000
        digests.add(hashlib.sha256(out).hexdigest())
    assert len(digests) == 1
