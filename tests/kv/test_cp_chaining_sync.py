"""Chained replication (``chaining_allowed=True``, MongoDB's ``settings.chainingAllowed``).

MongoDB manual, "Replica Set Data Synchronization" / "Manage Chained Replication": a secondary
syncs from a sync source chosen by ping among the members ahead of it, which may be another
secondary; chaining is allowed by default in MongoDB and in caplab (``chaining_allowed=False``
gives the push-only model; see ``caplab.kv.cp.chaining``).
"""

import pytest

from caplab import ConfigError
from caplab.kv import Cluster


def _behind_a_one_way_cut(seed, chaining):
    """n1 primary; its messages to n3 (priority 0: it never stands) are lost; writes flow."""
    options = {} if chaining else {"chaining_allowed": False}     # chaining: the default
    c = Cluster(mode="cp", nodes=3, seed=seed, priorities={"n1": 2, "n3": 0}, **options)
    c.run_until(lambda: c.primary == "n1" and c.backend.writable_primary, timeout_ms=8000)
    alice = c.client("alice", near="n1")
    c.cut("n1", "n3")
    for i in range(10):
        alice.put("x", str(i), w=1)
        c.run_for(300)
    return c, alice


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_secondary_behind_a_one_way_cut_catches_up_through_another(seed):
    """By default (chaining), n3 syncs from n2 before the cut heals and holds the latest
    write."""
    c, _ = _behind_a_one_way_cut(seed, True)
    c.run_for(600)        # a few heartbeat intervals: the cut is still there
    assert [e.value for e in c.backend.oplog("n3") if e.op == "put"][-1] == "9"
    sources = [e for e in c.sim.trace.of_kind("replication")
               if e.node == "n3" and e.data.get("action") == "sync_source"]
    assert sources and sources[0].data["source"] == "n2"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_without_chaining_it_stays_behind_until_the_heal(seed):
    """Push-only: n3 holds none of the writes made during the cut."""
    c, _ = _behind_a_one_way_cut(seed, False)
    c.run_for(600)
    assert not [e for e in c.backend.oplog("n3") if e.op == "put"]


def test_its_position_reaches_the_primary_so_w3_is_acknowledged():
    """The chained secondary reports its position upstream (replSetUpdatePosition): a w:3 write
    is acknowledged during the cut; without chaining it times out."""
    c, alice = _behind_a_one_way_cut(1, True)
    assert alice.put("y", "3", w=3, timeout_ms=3000).ok
    c, alice = _behind_a_one_way_cut(1, False)
    assert alice.put("y", "3", w=3, timeout_ms=3000).outcome == "info"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_partially_partitioned_secondary_stays_current_and_wins(seed):
    """Issue 12 / notebook 03: cut a secondary from the primary both ways while writes flow.
    Push-only it falls behind and the bridge refuses it; with chaining (the default) it syncs
    through the bridge, stays current, and wins an election. The deposed primary then trails
    its sync source, the bridge, by a fetch while writes keep coming, so the bridge refuses it
    for an older optime and the change sticks (idle, the two take turns: notebook 03)."""
    terms = {}
    for chaining in (False, True):
        options = {} if chaining else {"chaining_allowed": False}   # chaining: the default
        c = Cluster(mode="cp", nodes=3, seed=seed, **options)
        c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=8000)
        old = c.primary
        cut, bridge = [n for n in c.nodes if n != old][:2]
        alice = c.client("alice", near=bridge)
        c.cut(old, cut)
        c.cut(cut, old)
        for i in range(30):
            alice.put("x", str(i), timeout_ms=1000)
            c.run_for(200)
        terms[chaining] = [(e.data["term"], e.node) for e in c.sim.trace.of_kind("role")
                           if e.data.get("role") == "primary"]
    assert terms[False] == [(1, old)]
    assert terms[True] == [(1, old), (2, cut)]
    refusals = [e for e in c.sim.trace.of_kind("election")
                if e.node == bridge and e.data.get("action") == "vote"
                and e.data.get("candidate") == old and not e.data.get("granted")]
    assert refusals and all("older" in e.data["reason"] for e in refusals)


def test_chaining_allowed_must_be_a_bool():
    """A bad value names itself and the MongoDB setting."""
    with pytest.raises(ConfigError, match="chaining_allowed.*chainingAllowed.*'yes'"):
        Cluster(mode="cp", nodes=3, seed=1, chaining_allowed="yes")
