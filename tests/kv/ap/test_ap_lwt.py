"""AP: lightweight transactions (compare-and-set through Paxos) and SERIAL reads, as Cassandra
documents them (DataStax, "Lightweight transactions"; Cassandra CQL docs, the IF clause)."""

import random

import pytest

from caplab import ConfigError, UnknownNameError
from caplab.check import check_linearizability
from caplab.history.models import cas_register_model
from caplab.kv import Cluster
from caplab.kv.ap.paxos import cas_records
from caplab.kv.probes import wait_seen_down
from caplab.net.latency import Uniform


def _ring(**options):
    options.setdefault("seed", 1)
    options.setdefault("latency", 2)
    return Cluster(mode="ap", nodes=3, replication_factor=3, **options)


def test_check_then_write_loses_a_registration_silently():
    """DataStax, "Lightweight transactions": "two users attempting to create a unique user
    account in the same cluster could overwrite each other's work with neither user knowing
    about it". Both read "no such user", both writes are acknowledged, one value survives."""
    c = _ring()
    alice, bob = c.client("alice", near="n1"), c.client("bob", near="n3")
    reads = [alice.get_async("user:ann"), bob.get_async("user:ann")]
    c.run_until(lambda: all(h.done for h in reads), timeout_ms=1000)
    assert [h.result.value for h in reads] == [None, None]
    writes = [alice.put_async("user:ann", "alice"), bob.put_async("user:ann", "bob")]
    c.run_until(lambda: all(h.done for h in writes), timeout_ms=1000)
    assert all(h.result.ok for h in writes)                    # both acknowledged
    final = alice.get("user:ann", consistency="all").value
    assert final in ("alice", "bob")                           # one of them overwritten


def test_if_not_exists_race_applies_exactly_one_and_tells_the_other():
    """Cassandra: INSERT ... IF NOT EXISTS runs Paxos; of two concurrent inserts exactly one is
    applied, and the other gets [applied]=False with the row as it is."""
    c = _ring()
    alice, bob = c.client("alice", near="n1"), c.client("bob", near="n3")
    ha, hb = alice.cas_async("user:ann", None, "alice"), bob.cas_async("user:ann", None, "bob")
    c.run_until(lambda: ha.done and hb.done, timeout_ms=2000)
    results = [ha.result, hb.result]
    winners = [r for r in results if r.ok]
    losers = [r for r in results if not r.ok]
    assert len(winners) == 1 and len(losers) == 1, results
    won = winners[0].value[1]
    assert winners[0].output == {"applied": True, "current": won}
    assert losers[0].outcome == "fail" and losers[0].error.startswith("[applied]=False")
    assert losers[0].output == {"applied": False, "current": won}
    assert alice.get("user:ann", consistency="all").value == won
    assert check_linearizability(cas_records(c.history), cas_register_model()).ok


def test_a_cas_takes_four_round_trips():
    """DataStax: the four phases (prepare/promise, read/results, propose/accept,
    commit/acknowledge) "require four round trips between the node proposing a lightweight
    transaction and any needed replicas in the cluster"; a QUORUM write takes one."""
    c = _ring(latency=5)
    alice = c.client("alice", near="n1")
    put = alice.put("plain", "v")
    cas = alice.cas("lwt", None, "v")
    assert cas.ok and cas.output["applied"]
    # client -> coordinator and back (2 x 5 ms) plus the replica round trips (2 x 5 ms each)
    assert put.latency_ms == 10 + 1 * 10
    assert cas.latency_ms == 10 + 4 * 10


def test_a_condition_compares_the_current_value():
    """Cassandra: UPDATE ... IF col = x applies only when the condition holds; otherwise
    [applied]=False and the current value come back, and nothing is written."""
    c = _ring()
    alice = c.client("alice", near="n2")
    assert alice.cas("k", None, "v1").ok
    stale = alice.cas("k", "v0", "v2")
    assert stale.outcome == "fail" and stale.output == {"applied": False, "current": "v1"}
    assert alice.cas("k", "v1", "v2").ok
    assert alice.get("k", consistency="serial").value == "v2"
    alice.delete("k")
    assert alice.cas("k", None, "v3").ok       # IF NOT EXISTS holds for a deleted row


def test_a_cas_cut_off_after_its_proposal_is_unknown_and_a_serial_read_completes_it():
    """DataStax: "If the SERIAL read finds an uncommitted transaction in progress, the database
    performs a read repair as part of the commit." A partition cuts the coordinator off after
    the replicas accepted its proposal, before any accept or commit comes back: the client
    learns nothing (info); a QUORUM read does not see the value, a SERIAL read finishes the
    in-progress proposal and returns it, and from then on every read does."""
    c = _ring()
    alice, bob = c.client("alice", near="n1"), c.client("bob", near="n3")
    handle = alice.cas_async("u", None, "alice")
    c.run_for(13)     # proposals reach n2 and n3 at 12 ms; their accepts would arrive at 14
    c.partition(["n1", "alice"], ["n2", "n3", "bob"])
    c.run_until(lambda: handle.done, timeout_ms=3000)
    assert handle.result.outcome == "info" and "may have been applied" in handle.result.error
    assert bob.get("u").value is None                       # QUORUM: not committed anywhere
    serial = bob.get("u", consistency="serial")
    assert serial.value == "alice"
    repairs = [e for e in c.sim.trace.of_kind("paxos") if e.data["action"] == "repair"]
    assert [e.node for e in repairs] == ["n3"] and repairs[0].data["value"] == "alice"
    assert bob.get("u").value == "alice"
    assert bob.cas("u", None, "bob").output == {"applied": False, "current": "alice"}
    assert check_linearizability(cas_records(c.history), cas_register_model()).ok


def test_cas_needs_a_quorum_of_live_replicas():
    """Cassandra: a SERIAL operation with fewer live replicas than a quorum fails at once with
    Unavailable; nothing was proposed, so the failure is definite."""
    c = _ring()
    c.crash("n2")
    c.crash("n3")
    assert wait_seen_down(c, ["n2", "n3"], by="n1") is not None   # known down, not just silent
    alice = c.client("alice", near="n1")
    r = alice.cas("k", None, "v")
    assert r.outcome == "fail" and "unavailable" in r.error and "definite" in r.error
    assert alice.get("k", consistency="serial").outcome == "fail"
    assert alice.put("k", "w", consistency="one").ok           # plain writes still work


def test_local_serial_without_datacenters_is_serial():
    """Cassandra: LOCAL_SERIAL confines Paxos to the local datacenter; with one datacenter it
    is the same quorum as SERIAL."""
    c = _ring()
    alice = c.client("alice", near="n1")
    assert alice.cas("k", None, 1, serial_consistency="LOCAL_SERIAL").ok
    assert alice.get("k", consistency="local_serial").value == 1


@pytest.mark.parametrize("seed, duplicate, skew", [(3, 0, False), (11, 0, False),
                                                   (42, 0, False), (1, 0.3, False),
                                                   (3, 0.3, False), (14, 0.3, False),
                                                   (7, 0.2, True)])
def test_cas_histories_under_partitions_and_crashes_are_linearizable(seed, duplicate, skew):
    """Cassandra: LWT give linearizable consistency; read-modify-write cas and SERIAL reads
    from five clients under random partitions and crashes (and duplicated messages, skewed
    clocks) check as a cas register. Seeds 1, 3 and 14 with duplicates found a replica
    answering a duplicated proposal "refused" after accepting it."""
    rnd = random.Random(seed)
    c = Cluster(mode="ap", nodes=5, seed=seed, replication_factor=3, latency=Uniform(1, 10))
    c.network.set_duplicate(duplicate)
    if skew:
        c.skew_clock("n2", offset_ms=300)
        c.skew_clock("n4", offset_ms=-200, drift=0.01)
    clients = [c.client(f"c{i}", near=f"n{i + 1}") for i in range(5)]
    seen = {k.name: None for k in clients}
    pending, counter = {}, 0

    def remember(name):
        def callback(result):
            if result.op == "get" and result.ok:
                seen[name] = result.value
            elif result.op == "cas" and result.output:
                seen[name] = result.output["current"]
        return callback

    nodes = [f"n{i}" for i in range(1, 6)]
    for _ in range(60):
        for k in clients:
            if k.name in pending and not pending[k.name].done:
                continue
            if rnd.random() < 0.3:
                handle = k.get_async("x", consistency="serial")
            else:
                counter += 1
                handle = k.cas_async("x", seen[k.name], counter)
            handle.on_done(remember(k.name))
            pending[k.name] = handle
        fault = rnd.random()
        if fault < 0.1:
            side = rnd.sample(nodes, 2)
            rest = [n for n in nodes if n not in side]
            c.partition(side + [f"c{int(n[1:]) - 1}" for n in side],
                        rest + [f"c{int(n[1:]) - 1}" for n in rest])
        elif fault < 0.15:
            victim = rnd.choice(nodes)
            if c.roles()[victim] != "down":
                c.crash(victim)
        elif fault < 0.25:
            c.heal()
            for n in nodes:
                if c.roles()[n] == "down":
                    c.restart(n)
        c.run_for(rnd.randint(5, 60))
    c.heal()
    c.run_for(3000)
    ops = {(o.op, o.outcome) for o in c.history}
    assert {("cas", "ok"), ("cas", "fail"), ("cas", "info")} <= ops
    assert check_linearizability(cas_records(c.history), cas_register_model()).ok


def test_cas_bad_input_names_the_allowed_values():
    """Bad input: cas where the mode has none, an unknown serial level, SERIAL as a write
    level, and cas with Dynamo's siblings; nothing is recorded."""
    c = _ring()
    alice = c.client("alice", near="n1")
    with pytest.raises(UnknownNameError, match="local_serial"):
        alice.cas("k", None, 1, serial_consistency="quorum")
    with pytest.raises(ConfigError, match="SERIAL is a read level"):
        alice.put("k", 1, consistency="serial")
    with pytest.raises(ConfigError, match="write_consistency='serial'"):
        Cluster(mode="ap", nodes=3, write_consistency="serial")
    with pytest.raises(ConfigError, match="conflict='lww'"):
        Cluster(mode="ap", nodes=3, conflict="siblings").client("a").cas("k", None, 1)
    with pytest.raises(ConfigError, match="cas is not an operation of mode 'cp'"):
        Cluster(mode="cp", nodes=3).client("a").cas("k", None, 1)
    with pytest.raises(ConfigError, match="cas_contention_timeout_ms"):
        Cluster(mode="ap", nodes=3, cas_contention_timeout_ms=0)
    assert len(c.history) == 0
