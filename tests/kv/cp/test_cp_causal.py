"""Causally consistent sessions: afterClusterTime, and the read and write concerns they need.

MongoDB manual, "Causal Consistency and Read and Write Concerns": in a causally consistent
session a read carries ``afterClusterTime`` (the session's ``operationTime``) and waits until
the member's snapshot reaches it, which gives read your writes, monotonic reads, monotonic
writes and writes follow reads; with read concern "majority" and write concern "majority" the
guarantees hold even across failures, with weaker concerns they may not (a w:1 write can be
rolled back).
"""

import pytest

from caplab import ConfigError
from caplab.kv import Cluster
from caplab.kv.probes import wait_for_primary
from caplab.net.latency import Constant


def _secondary_reader(seed, causal):
    c = Cluster(mode="cp", nodes=3, seed=seed, causal_consistency=causal)
    wait_for_primary(c)
    secondary = next(n for n in c.nodes if n != c.primary)
    return c, c.client("alice", near=secondary)


@pytest.mark.parametrize("causal", [False, True])
def test_read_your_writes_from_a_secondary_needs_a_causal_session(causal):
    """w:"majority" write, then a read concern "majority" read on a secondary: without a causal
    session the secondary's majority snapshot lags and the client misses its own write (in
    nearly every try); with one, the read waits for afterClusterTime and never misses it."""
    missed = 0
    for seed in range(1, 21):
        c, alice = _secondary_reader(seed, causal)
        alice.put("k", f"v{seed}", w="majority")
        r = alice.get("k", read_preference="secondary", read_concern="majority")
        assert r.ok
        missed += r.value != f"v{seed}"
    assert (missed >= 18) if not causal else (missed == 0)


def test_monotonic_reads_across_secondaries_with_a_causal_session():
    """A secondary that receives the oplog late: after reading "new" from the primary, a
    causal read there waits until the secondary has caught up; a plain read goes back in time
    and returns "old"."""
    for causal in (False, True):
        c = Cluster(mode="cp", nodes=3, seed=2, causal_consistency=causal)
        primary = wait_for_primary(c)
        lagging = next(n for n in c.nodes if n != primary)
        writer = c.client("writer", near=primary)
        writer.put("k", "old")
        c.run_for(300)
        c.network.set_latency(Constant(800), src=primary, dst=lagging, kind="Replicate",
                              symmetric=False)
        writer.put("k", "new")
        reader = c.client("reader", near=lagging)
        first = reader.get("k", read_preference="primary")
        assert first.value == "new"
        second = reader.get("k", read_preference="secondary", read_concern="local")
        assert second.ok and second.node == lagging
        if causal:
            assert second.value == "new" and second.latency_ms > 100   # it waited
        else:
            assert second.value == "old"


def test_a_causal_session_with_w1_can_lose_its_own_write_after_a_failover():
    """With write concern 1 the guarantees may not hold across failures: the cut-off primary
    acknowledges alice's w:1 write, the majority elects a new primary, the write is rolled
    back, and alice's causal read no longer sees it."""
    c = Cluster(mode="cp", nodes=3, seed=1, causal_consistency=True)
    old = wait_for_primary(c)
    alice = c.client("alice", near=old)
    alice.put("x", "base")
    c.run_for(300)
    c.isolate(old)
    assert alice.put("x", "mine", w=1).ok
    new = wait_for_primary(c, exclude=(old,), timeout_ms=4000)
    assert new is not None
    c.heal()
    c.run_for(2000)
    assert [r["value"] for r in c.rollbacks()] == ["mine"]
    r = alice.get("x", read_concern="majority")
    assert r.ok and r.value == "base"           # read-your-writes broken, as documented


def test_a_bad_causal_value_is_refused():
    """causal / causal_consistency must be booleans; the error names the value."""
    with pytest.raises(ConfigError, match="causal_consistency must be True or False"):
        Cluster(mode="cp", nodes=3, causal_consistency="yes")
    c = Cluster(mode="cp", nodes=3, seed=1)
    with pytest.raises(ConfigError, match="causal must be True or False"):
        c.client("alice").get("x", causal=1)
