"""The ``read_repair`` option: Cassandra 4's blocking read repair (the default), Dynamo's
asynchronous read repair, and none; what each asks, repairs, and guarantees."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError
from caplab.kv import Cluster

from helpers_ap import ap, holders, key_where


def _minority_write(mode):
    """3 nodes, RF 3, hints off: "old" everywhere, then a QUORUM write of "new" through n1 that
    reaches only n1 (n1 -> n2 and n1 -> n3 cut) and times out: n1 holds new, n2/n3 old."""
    c = ap(nodes=3, hinted_handoff=False, read_repair=mode)
    # preference list n2, n1, n3: a blocking QUORUM read via n2 asks n2 and n1, via n3 n3 and n2
    key = key_where(c, lambda p: p == ["n2", "n1", "n3"])
    writer = c.client("writer", near="n1")
    assert writer.put(key, "old", consistency="all").ok
    c.cut("n1", "n2")
    c.cut("n1", "n3")
    assert writer.put(key, "new", consistency="quorum").outcome == "info"
    c.heal()
    c.run_for(100)
    assert holders(c, key) == {"n1": "new", "n2": "old", "n3": "old"}
    return c, key


def _bob_then_carol(mode):
    """The reviewer's reproduction: n3 crashes but is still believed up; Bob reads QUORUM via
    n2; n3 restarts with n1 -> n3 cut; Carol reads QUORUM via n3 at once."""
    c, key = _minority_write(mode)
    bob, carol = c.client("bob", near="n2"), c.client("carol", near="n3")
    c.crash("n3")                     # the detectors have not noticed yet
    b = bob.get(key, consistency="quorum")
    c.restart("n3")
    c.cut("n1", "n3")
    r = carol.get(key, consistency="quorum")
    return c, key, b, r


def test_blocking_read_repair_gives_monotonic_quorum_reads():
    """Blocking: Bob's QUORUM read repairs n2 before answering "new", so Carol's QUORUM read
    cannot return "old" (it returns "new", or fails)."""
    c, key, bob, carol = _bob_then_carol("blocking")
    assert bob.ok and bob.value == "new"
    assert holders(c, key)["n2"] == "new"      # repaired before Bob got his answer
    assert not (carol.ok and carol.value == "old")
    assert carol.ok and carol.value == "new"   # n3 asked n2, repaired by Bob's read


def test_async_read_repair_breaks_monotonic_quorum_reads():
    """Async (Dynamo, Cassandra < 4): Bob gets "new" after 2 replies while the repair waits
    for the crashed n3; Carol's QUORUM read then returns "old"."""
    c, key, bob, carol = _bob_then_carol("async")
    assert bob.ok and bob.value == "new"
    assert carol.ok and carol.value == "old"
    ops = {op.client: op for op in c.history.ops if op.op == "get"}
    assert ops["bob"].complete_ms <= ops["carol"].invoke_ms   # Carol read after Bob's answer


def test_blocking_repairs_before_the_answer_and_only_the_replicas_asked():
    """A QUORUM read with blocking repair asks 2 replicas (its own first), repairs the stale one
    of those before answering, and leaves the third alone."""
    c, key = _minority_write("blocking")
    r = c.client("dora", near="n1").get(key, consistency="quorum")
    assert r.ok and r.value == "new"
    asked = {e.peer for e in c.sim.trace.of_kind("repair")}
    state = holders(c, key)                    # no run_for: repaired before the answer
    assert len(asked) == 1 and state[next(iter(asked))] == "new"
    assert sorted(state.values()) == ["new", "new", "old"]
    assert c.stats()["read_repairs"] == 1


def test_blocking_at_one_asks_one_replica_and_repairs_nothing():
    """At ONE a blocking read asks a single replica (the coordinator's own): nothing to
    compare, no repair; the read returns that replica's value."""
    c, key = _minority_write("blocking")
    assert c.client("erin", near="n2").get(key, consistency="one").value == "old"
    c.run_for(500)
    assert c.stats()["read_repairs"] == 0
    assert holders(c, key) == {"n1": "new", "n2": "old", "n3": "old"}


def test_async_repairs_every_replica_even_at_one():
    """Async: a read at ONE still asks every live replica, answers with the first reply, and
    then repairs all stale replicas in the background."""
    c, key = _minority_write("async")
    r = c.client("erin", near="n2").get(key, consistency="one")
    assert r.ok
    c.run_for(100)
    assert holders(c, key) == {"n1": "new", "n2": "new", "n3": "new"}
    assert c.stats()["read_repairs"] == 2


def test_off_asks_the_level_and_repairs_nothing():
    """Off (Cassandra 4 read_repair='NONE'): QUORUM reads return the newest of the replicas
    asked and repair nothing."""
    c, key = _minority_write("off")
    assert c.client("dora", near="n1").get(key, consistency="quorum").value == "new"
    assert c.client("erin", near="n2").get(key, consistency="all").value == "new"
    c.run_for(500)
    assert c.stats()["read_repairs"] == 0
    assert holders(c, key) == {"n1": "new", "n2": "old", "n3": "old"}


def test_blocking_read_fails_when_the_repair_is_not_acknowledged():
    """If the stale replica never acknowledges the repair, the read fails with a timeout
    (Cassandra: ReadTimeoutException) instead of answering."""
    c, key = _minority_write("blocking")
    c.network.set_loss(1.0, kind="ReadRepairAck")
    r = c.client("dora", near="n1").get(key, consistency="all")
    assert r.outcome == "fail" and "blocking read repair" in r.error
    assert "not acknowledged" in r.error


@pytest.mark.parametrize("given, mode", [(True, "blocking"), (False, "off"),
                                         ("async", "async"), ("blocking", "blocking")])
def test_read_repair_accepts_modes_and_booleans(given, mode):
    """True means "blocking" and False "off", for compatibility; the default is blocking."""
    assert Cluster.options_for("ap")["read_repair"] == "blocking"
    assert Cluster(mode="ap", nodes=3, seed=1, read_repair=given).backend.options[
        "read_repair"] == mode


@pytest.mark.parametrize("bad", ["sometimes", "BLOCKING", 0.1, None])
def test_unknown_read_repair_mode_is_refused(bad):
    """Any other value is a ConfigError naming it and the allowed modes."""
    with pytest.raises(ConfigError, match=r"read_repair=.*'blocking'.*'async'.*'off'"):
        Cluster(mode="ap", nodes=3, seed=1, read_repair=bad)
