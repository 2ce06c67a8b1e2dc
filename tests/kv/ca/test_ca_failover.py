"""No automatic failover: writes stop with the source, an operator promotes a replica, the
writes the replica never received are lost, and the old source rejoins as a replica (MySQL
Shell 8.0, 9.8 "Forcing a New Primary Instance"; MySQL 8.4 Reference Manual, 19.1.3.3 GTID
Auto-Positioning)."""

from caplab.frames import history_frame

from helpers_ca import slow_binlog, topology, values


def test_writes_stop_with_the_source_and_nothing_fails_over():
    """An InnoDB ReplicaSet "does not have automatic failure detection": with the source down,
    a new connection fails definitely (nothing was sent), for as long as nobody promotes; the
    replicas stay replicas and serve reads."""
    c = topology()
    alice = c.client("alice", near="n2")
    assert alice.put("x", "1").ok
    c.run_for(100)
    c.crash("n1")
    bob = c.client("bob", near="n3")
    r = bob.put("x", "2")
    assert r.outcome == "fail" and "can't connect to n1" in r.error and "definite" in r.error
    c.run_for(10_000)
    assert c.roles() == {"n1": "down", "n2": "replica", "n3": "replica"}
    assert c.primary == "n1" and c.promotions() == []
    assert bob.put("x", "3").outcome == "fail"
    assert bob.get("x", read_from="replica").value == "1"


def test_a_write_in_flight_when_the_source_dies_is_indefinite():
    """A statement sent on an open connection that gets no answer may have been applied
    (MySQL's "Lost connection to MySQL server during query"): outcome info, not fail."""
    c = topology()
    alice = c.client("alice", near="n2")
    alice.put("x", "1")                   # opens the connection
    c.crash("n1")
    r = alice.put("x", "2")
    assert r.outcome == "info" and "indefinite" in r.error


def test_promote_makes_the_replica_the_source():
    """The operator promotes n2: it accepts writes, n3 follows it, clients are routed to it."""
    c = topology()
    alice = c.client("alice", near="n3")
    alice.put("x", "1")
    c.run_for(100)
    c.crash("n1")
    assert c.promote("n2") == []           # n2 had everything: nothing lost
    assert c.primary == "n2" and c.roles() == {"n1": "down", "n2": "primary", "n3": "replica"}
    r = alice.put("x", "2")
    assert r.ok and r.node == "n2"
    c.run_for(100)
    assert values(c, "x") == {"n1": "1", "n2": "2", "n3": "2"}
    assert c.promotions()[0]["old"] == "n1" and c.promotions()[0]["generation"] == 2


def test_promotion_loses_the_writes_the_replica_never_received():
    """Asynchronous replication: "if the source crashes, transactions that it has committed
    might not have been transmitted to any replica" (MySQL 19.4.10). lost_writes() lists the
    acknowledged writes the promoted replica lacks, exactly."""
    c = topology()
    alice = c.client("alice", near="n1")
    assert alice.put("x", "kept").ok
    c.run_for(100)
    slow_binlog(c, 300)
    acked = [alice.put("x", "lost"), alice.put("y", "lost too")]
    assert all(r.ok for r in acked)
    c.crash("n1")
    lost = c.promote("n2")
    assert [(w["key"], w["value"], w["node"]) for w in lost] == \
        [("x", "lost", "n1"), ("y", "lost too", "n1")]
    assert c.lost_writes() == lost and [w["gtid"] for w in lost] == ["n1:2", "n1:3"]
    assert c.client("bob", near="n2").get("x").value == "kept"
    frame = history_frame(c.history)
    ok_puts = set(zip(frame[(frame.op == "put") & (frame.outcome == "ok")].key,
                      frame[(frame.op == "put") & (frame.outcome == "ok")].value))
    on_new = {(e.key, e.value) for e in c.binlog("n2")}
    assert ok_puts - on_new == {(w["key"], w["value"]) for w in lost}


def test_semi_sync_promotion_loses_nothing_acknowledged():
    """Semi-sync (AFTER_SYNC) with every replica acknowledging: a crash and failover to a replica
    is lossless, since every acknowledged commit reached the replicas' relay logs."""
    c = topology(wait_for_replica_count=2, semi_sync_timeout_ms=None)
    slow_binlog(c, 100)
    alice = c.client("alice", near="n1")
    assert all(alice.put("x", str(i)).ok for i in range(3))
    c.crash("n1")
    assert c.promote("n3") == [] and c.lost_writes() == []


def test_old_source_restarts_as_a_replica_and_its_errant_writes_are_discarded():
    """The restarted old source is pointed at the new one; its transactions the new source never
    had (errant GTIDs) are not merged: they are removed and listed, and it copies the new
    source's binlog."""
    c = topology()
    alice = c.client("alice", near="n1")
    slow_binlog(c, 300)
    assert alice.put("x", "lost").ok
    c.crash("n1")
    c.promote("n2")
    bob = c.client("bob", near="n2")
    assert bob.put("x", "new").ok
    c.restart("n1")
    assert c.roles()["n1"] == "replica"
    c.run_for(1000)
    errant = c.errant_transactions()
    assert [(e["node"], e["gtid"], e["key"], e["value"], e["acknowledged"]) for e in errant] == \
        [("n1", "n1:1", "x", "lost", True)]
    assert [e.gtid for e in c.binlog("n1")] == [e.gtid for e in c.binlog("n2")]
    assert values(c, "x") == {"n1": "new", "n2": "new", "n3": "new"}
    assert any(e.kind == "errant" and e.node == "n1" for e in c.sim.trace)


def test_cut_off_old_source_steps_down_when_it_hears_of_the_new_one():
    """Promoting while the old source is only cut off: its side wrote on (acknowledged); it
    still believes it is the source, but clients, routed by the metadata, no longer write to it;
    after the heal it hears the newer generation, becomes a replica, and the writes of its side
    are discarded and lost."""
    c = topology()
    alice = c.client("alice", near="n1")
    alice.put("x", "1")
    c.run_for(100)
    c.isolate("n1")
    assert alice.put("x", "cut off").ok                  # alice is on n1's side
    assert [w["value"] for w in c.promote("n2")] == ["cut off"]
    assert c.roles() == {"n1": "primary", "n2": "primary", "n3": "replica"}
    assert c.primary == "n2"
    r = alice.put("x", "2")
    assert r.outcome == "fail" and "can't connect to n2" in r.error
    c.heal()
    c.run_for(1000)
    assert c.roles() == {"n1": "replica", "n2": "primary", "n3": "replica"}
    assert [(e["node"], e["value"], e["acknowledged"]) for e in c.errant_transactions()] == \
        [("n1", "cut off", True)]
    assert [w["value"] for w in c.lost_writes()] == ["cut off"]
    assert set(values(c, "x").values()) == {"1"}


def test_a_short_operation_timeout_still_fails_definitely_when_nothing_was_sent():
    """An operation whose own timeout is shorter than the connect timeout gives up connecting
    just before it: it never sent its statement, so the failure is definite, not unknown."""
    c = topology()
    c.crash("n1")
    r = c.client("bob", near="n2").put("x", "1", timeout_ms=200)
    assert r.outcome == "fail" and "definite: nothing was sent" in r.error
    assert r.latency_ms == 199
