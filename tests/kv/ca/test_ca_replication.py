"""Asynchronous and semi-synchronous replication: when the source answers, what replicas show,
and the semi-sync fallback (MySQL 8.4 Reference Manual, 19.4.10 Semisynchronous Replication)."""

from caplab.frames import node_frame
from caplab.kv.ca.messages import SemiSyncSwitch

from helpers_ca import semi_sync_switches, slow_binlog, topology, values


def test_async_source_acknowledges_before_any_replica_has_the_write():
    """MySQL 19.4.10: asynchronous by default, "the source does not know whether or when a
    replica has retrieved and processed the transactions": the put is acknowledged while no
    replica holds it; they get it later."""
    c = topology()
    slow_binlog(c, 300)
    r = c.client("alice", near="n2").put("x", "1")
    assert r.ok and r.node == "n1" and r.latency_ms < 50
    assert values(c, "x") == {"n1": "1"}
    c.run_for(400)
    assert values(c, "x") == {"n1": "1", "n2": "1", "n3": "1"}


def test_replica_reads_are_stale_by_a_visible_lag():
    """A read/write split reads a replica: with SOURCE_DELAY (MySQL's delayed replication) it
    returns the old value, and replication_lag() / node_info show how far behind it is."""
    c = topology(source_delay_ms=500)
    alice = c.client("alice", near="n2")
    alice.put("x", "old")
    c.run_for(600)
    alice.put("x", "new")
    c.run_for(100)
    stale = alice.get("x", read_from="replica")
    assert stale.ok and stale.node == "n2" and stale.value == "old"
    assert alice.get("x").value == "new"          # read_from="primary" (the default)
    lag = c.replication_lag()
    assert 100 <= lag["n2"] < 500 and set(lag) == {"n2", "n3"}
    info = node_frame(c).set_index("node")
    assert info.loc["n2", "lag_ms"] == lag["n2"] and info.loc["n1", "lag_ms"] == 0
    c.run_for(500)
    assert alice.get("x", read_from="replica").value == "new"
    assert c.replication_lag() == {"n2": 0, "n3": 0}


def test_semi_sync_commit_waits_for_replica_acknowledgements():
    """rpl_semi_sync_source_wait_for_replica_count: the commit returns only after that many
    replicas acknowledged (a round trip to the slowest of them); until then (AFTER_SYNC) no
    session sees the write on the source."""
    c = topology(semi_sync=True)
    slow_binlog(c, 100)
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n1")
    bob.put("x", "before")
    write = alice.put_async("x", "1")
    c.run_for(100)
    assert bob.get("x").value == "before" and not write.done
    c.run_for(150)
    assert write.done and write.result.ok and write.result.latency_ms >= 200
    assert bob.get("x").value == "1"

    both = topology(wait_for_replica_count=2)          # a count implies semi_sync=True
    slow_binlog(both, 50, to=["n2"])
    slow_binlog(both, 150, to=["n3"])
    r = both.client("alice", near="n1").put("x", "1")
    assert r.ok and r.latency_ms >= 300
    assert both.backend.options["semi_sync"] is True


def test_semi_sync_times_out_to_async_says_so_and_comes_back():
    """rpl_semi_sync_source_timeout: with no acknowledgement the source reverts to asynchronous
    (the client still sees success), a ``semi_sync`` trace event says so; once a replica has
    caught up the source switches back to semi-synchronous (Rpl_semi_sync_source_status)."""
    c = topology(semi_sync=True, semi_sync_timeout_ms=300)
    alice = c.client("alice", near="n1")
    c.crash("n2")
    c.crash("n3")
    slow = alice.put("x", "1")
    assert slow.ok and 300 <= slow.latency_ms < 320
    off = semi_sync_switches(c)
    assert off == [SemiSyncSwitch(False, off[0].reason, 0, 1, 300)]
    assert "no acknowledgement for n1:1 within 300 ms" in off[0].reason
    fast = alice.put("x", "2")
    assert fast.ok and fast.latency_ms < 20          # asynchronous now
    c.restart("n2")
    c.run_for(500)                                    # a heartbeat ships the binlog to n2
    switches = semi_sync_switches(c)
    assert [s.on for s in switches] == [False, True] and switches[1].acked_replicas == 1
    assert [e["on"] for e in c.semi_sync_events()] == [False, True]
    assert values(c, "x")["n2"] == "2"
    slow_binlog(c, 100, to=["n2"])
    again = alice.put("x", "3")
    assert again.ok and again.latency_ms >= 200       # waiting for n2's acknowledgement again


def test_semi_sync_without_timeout_waits_until_the_client_gives_up():
    """semi_sync_timeout_ms=None never falls back: with every replica down the write is not
    committed and the client's timeout makes it indefinite (it is in the source's binlog)."""
    c = topology(semi_sync=True, semi_sync_timeout_ms=None)
    c.crash("n2")
    c.crash("n3")
    r = c.client("alice", near="n1").put("x", "1")
    assert r.outcome == "info" and "indefinite" in r.error
    assert semi_sync_switches(c) == [] and [e.key for e in c.binlog("n1")] == ["x"]
    assert values(c, "x") == {}


def test_an_overtaken_message_does_not_make_a_replica_discard_events():
    """The network may reorder the source's messages: an old one reporting a shorter binlog,
    arriving after a newer one, is not a sign of errant transactions (nothing is discarded)."""
    from caplab.kv.ca import Event
    from caplab.kv.ca.messages import BinlogEvents
    c = topology()
    replica = c.backend.nodes["n2"]
    e1, e2 = (Event(i, ("n1", i), "x", str(i), 0) for i in (1, 2))
    replica.handle_binlog_events(BinlogEvents(1, 0, None, (e1, e2), 2), "n1")
    replica.handle_binlog_events(BinlogEvents(1, 0, None, (e1,), 1), "n1")   # overtaken
    assert [e.gtid for e in c.binlog("n2")] == [("n1", 1), ("n1", 2)]
    assert c.errant_transactions() == [] and c.replica_records()[-1]["value"] == "2"


def test_a_delete_is_a_binlog_event_that_replicates():
    """A delete writes "no value" through the binlog like any write (MySQL logs a DELETE as a
    row event): the source and then the replicas read None."""
    c = topology()
    alice = c.client("alice", near="n2")
    alice.put("x", "1")
    r = alice.delete("x")
    assert r.ok and r.node == "n1"
    c.run_for(50)
    assert values(c, "x") == {"n1": None, "n2": None, "n3": None}
    assert alice.get("x", read_from="replica").value is None
    assert [(e.key, e.value) for e in c.binlog("n3")] == [("x", "1"), ("x", None)]
