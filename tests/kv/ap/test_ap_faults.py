"""Unavailability, timeouts, hinted handoff, sloppy quorum, read repair, anti-entropy."""

from caplab.kv.probes import events, wait_seen_down

from helpers_ap import ap, holders, key_where


def test_unavailable_fails_at_once_when_too_few_alive():
    """With 2 of 3 replicas seen down, a QUORUM request fails at once, definitely."""
    c = ap()
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    down = c.replicas_for(key)[:2]
    for node in down:
        c.crash(node)
    assert wait_seen_down(c, down, by="n1") is not None   # the coordinator convicts both
    r = alice.put(key, 1)
    assert r.outcome == "fail" and r.definite
    assert r.error.startswith("unavailable: needed 2, alive 1")
    assert r.latency_ms <= 10   # no waiting for replicas
    assert all(r["key"] != key for r in c.replica_records())
    g = alice.get(key, consistency="one")
    assert g.ok and g.value is None


def test_write_timeout_is_indefinite_and_not_rolled_back():
    """A write at ALL cut off from one replica times out as info; the others keep it."""
    c = ap(hinted_handoff=False)
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    replicas = c.replicas_for(key)
    c.cut("n1", replicas[2])   # one way: n1 still hears its heartbeats, thinks it alive
    r = alice.put(key, "v", consistency="all")
    assert r.outcome == "info" and not r.definite and "may have been applied" in r.error
    assert holders(c, key) == {replicas[0]: "v", replicas[1]: "v"}
    assert alice.get(key, consistency="one").value == "v"


def test_hints_replay_after_heal():
    """A replica cut off during a write gets it from the coordinator's hint after heal."""
    c = ap()
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    target = c.replicas_for(key)[0]
    c.isolate(target)
    assert wait_seen_down(c, target, by="n1") is not None   # so the write is hinted at once
    assert alice.put(key, "v").ok
    assert [h["target"] for h in c.hints()] == [target]
    assert target not in holders(c, key)
    c.heal()
    c.run_for(500)
    assert holders(c, key)[target] == "v"
    assert c.stats()["hints_replayed"] == 1 and c.hints() == []


def test_hints_replay_after_restart_with_original_timestamp():
    """A crashed replica receives the hinted write, with its original timestamp, on restart."""
    c = ap()
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    target = c.replicas_for(key)[1]
    c.crash(target)
    assert wait_seen_down(c, target, by="n1") is not None   # so the write is hinted at once
    assert alice.put(key, "v").ok
    ts = c.hints()[0]["ts"]
    c.run_for(1000)
    c.restart(target)
    c.run_for(500)
    rec = [r for r in c.replica_records() if r["node"] == target and r["key"] == key][0]
    assert rec["value"] == "v" and rec["version"] == str(ts)


def test_no_new_hints_once_the_target_is_down_longer_than_the_hint_window():
    """Cassandra max_hint_window: a write while the target has been seen down for less than
    hint_window_ms is hinted; a write after that is not (counted, traced); the hint stored
    earlier is still replayed when the target returns, so it gets the first write only."""
    c = ap(hint_window_ms=1000, read_repair=False)
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    target = c.replicas_for(key)[0]
    c.crash(target)
    assert wait_seen_down(c, target, by="n1") is not None   # down_since starts about now
    assert alice.put(key, "v1").ok
    c.run_for(1500)                      # now down for more than 1000 ms
    assert alice.put(key, "v2").ok
    assert [h["value"] for h in c.hints()] == ["v1"]
    assert c.stats()["hints_stored"] == 1 and c.stats()["hints_not_stored"] == 1
    (refused,) = events(c, "hint", action="not_stored", key=key, target=target)
    assert refused.data["value"] == "v2" and refused.data["down_ms"] > 1000
    c.restart(target)
    c.run_for(500)
    assert holders(c, key)[target] == "v1"   # replayed; v2 needs repair
    assert c.stats()["hints_replayed"] == 1 and c.hints() == []


def test_hint_window_restarts_when_the_target_is_seen_up():
    """Once the detector hears the target again, its downtime resets: the next outage gets
    hints again."""
    c = ap(hint_window_ms=1000, read_repair=False)
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    target = c.replicas_for(key)[0]
    c.isolate(target)
    assert wait_seen_down(c, target, by="n1") is not None
    c.run_for(1500)                      # now seen down for longer than the 1000 ms window
    assert alice.put(key, "v1").ok and c.stats()["hints_not_stored"] == 1
    c.heal()
    c.run_for(300)
    c.isolate(target)
    assert wait_seen_down(c, target, by="n1") is not None
    assert alice.put(key, "v2").ok
    assert [h["value"] for h in c.hints()] == ["v2"]


def test_hints_expire_after_their_ttl():
    """A stored hint not replayed within hint_ttl_ms (Cassandra: gc_grace_seconds) is
    dropped, so the replica stays stale."""
    c = ap(hint_ttl_ms=1000, read_repair=False)
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    target = c.replicas_for(key)[0]
    c.crash(target)
    c.run_for(600)
    assert alice.put(key, "v").ok
    c.run_for(1500)
    assert c.hints() == [] and c.stats()["hints_expired"] == 1
    c.restart(target)
    c.run_for(500)
    assert target not in holders(c, key)


def test_a_long_quiet_outage_keeps_its_hints():
    """Hints are not dropped by age within their TTL: an outage far longer than the hint
    window, with the writes early on, still ends with the hints replayed."""
    c = ap(hint_window_ms=1000, read_repair=False)
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    target = c.replicas_for(key)[0]
    c.crash(target)
    c.run_for(600)
    assert alice.put(key, "v").ok
    c.run_for(5000)
    c.restart(target)
    c.run_for(500)
    assert holders(c, key)[target] == "v" and c.stats()["hints_replayed"] == 1


def test_sloppy_quorum_stand_in_counts_and_hands_back():
    """Sloppy quorum: with 2 of 3 replicas down, stand-ins take the write (counting to W) and
    hand it to the owners when they return; strict quorum would be unavailable."""
    strict = ap()
    key = key_where(strict, lambda p: "n1" not in p)
    down = strict.replicas_for(key)[:2]
    for c in (strict, ap(sloppy_quorum=True)):
        for node in down:
            c.crash(node)
        assert wait_seen_down(c, down, by="n1") is not None
        c.client("alice", near="n1")
    assert strict.client("alice").put(key, "v").error.startswith("unavailable")
    sloppy = c
    r = sloppy.client("alice").put(key, "v")
    assert r.ok
    held = sloppy.hints()
    assert sorted(h["target"] for h in held) == sorted(down)
    assert all(h["holder"] not in sloppy.replicas_for(key) for h in held)
    assert sloppy.stats()["sloppy_writes"] == 2
    for node in down:
        sloppy.restart(node)
    sloppy.run_for(500)
    assert set(holders(sloppy, key)) == set(sloppy.replicas_for(key))
    assert sloppy.hints() == []


def test_read_repair_updates_stale_replica():
    """A read that sees an older version on one replica sends it the newest (counted)."""
    c = ap(hinted_handoff=False)
    alice = c.client("alice", near="n1")
    key = key_where(c, lambda p: "n1" not in p)
    stale = c.replicas_for(key)[2]
    assert alice.put(key, "old", consistency="all").ok
    c.crash(stale)
    c.run_for(600)
    assert alice.put(key, "new").ok
    c.restart(stale)
    c.run_for(300)
    assert holders(c, key)[stale] == "old"
    assert alice.get(key, consistency="all").value == "new"
    c.run_for(50)
    assert holders(c, key)[stale] == "new"
    assert c.stats()["read_repairs"] == 1
    assert [e.peer for e in c.sim.trace.of_kind("repair")] == [stale]


def test_anti_entropy_converges_exchanging_only_differing_keys():
    """Merkle anti-entropy brings a stale replica up to date, exchanging only the keys that
    differ, not the whole range."""
    c = ap(hinted_handoff=False, read_repair=False, anti_entropy_ms=200)
    alice = c.client("alice", near="n1")
    c.backend.import_data({f"k{i}": 0 for i in range(60)})
    stale = "n3"
    c.crash(stale)
    c.run_for(600)
    changed = [k for k in (f"k{i}" for i in range(60)) if stale in c.replicas_for(k)][:3]
    for key in changed:
        assert alice.put(key, "new", consistency="one").ok
    before = c.anti_entropy_stats()["keys_exchanged"]
    c.restart(stale)
    c.run_for(3000)
    for key in changed:
        assert holders(c, key)[stale] == "new"
    exchanged = {k for e in events(c, "anti_entropy", action="received") for k in e.data["keys"]}
    assert exchanged == set(changed)
    stats = c.anti_entropy_stats()
    assert 3 <= stats["keys_exchanged"] - before <= 2 * 3 * 2
    assert stats["in_sync"] > 0   # most rounds stop at the root


def test_set_leg_latency_sets_the_four_pbs_legs():
    """set_leg_latency gives Mutation / MutationAck / ReadRequest / ReadResponse their own
    latency models, so a slow W leg slows writes and not reads."""
    c = ap()
    alice = c.client("alice", near="n1")
    c.set_leg_latency(w=60, a=1, r=1, s=1)
    assert c.network.latency_for("n1", "n2", "Mutation").mean_ms == 60
    w = alice.put("x", 1, consistency="one")
    r = alice.get("x", consistency="one")
    assert w.ok and w.latency_ms >= 60
    assert r.ok and r.value == 1 and r.latency_ms < 30


def test_sloppy_quorum_reads_use_the_first_n_healthy_nodes():
    """Dynamo 4.6: "all read and write operations are performed on the first N healthy nodes
    from the preference list, which may not always be the first N nodes encountered while
    walking the consistent hashing ring": with 2 of 3 replicas down a QUORUM read finds the
    write on the stand-ins, where Cassandra's strict read is unavailable."""
    sloppy = ap(sloppy_quorum=True)
    key = key_where(sloppy, lambda p: "n1" not in p)
    for node in sloppy.replicas_for(key)[:2]:
        sloppy.crash(node)
    assert wait_seen_down(sloppy, sloppy.replicas_for(key)[:2], by="n1") is not None
    alice = sloppy.client("alice", near="n1")
    assert alice.put(key, "v").ok
    r = alice.get(key, consistency="quorum")
    assert r.ok and r.value == "v"
    strict = ap()
    for node in strict.replicas_for(key)[:2]:
        strict.crash(node)
    assert wait_seen_down(strict, strict.replicas_for(key)[:2], by="n1") is not None
    assert strict.client("alice", near="n1").get(key).error.startswith("unavailable")
