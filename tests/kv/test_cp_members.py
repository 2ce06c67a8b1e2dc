"""Arbiters and member options of the replica set, scenario by scenario against MongoDB's manual.

Sources (facts, not prose): "Replica Set Arbiter" (an arbiter holds no data, cannot become
primary, has exactly 1 vote and priority 0); "Default MongoDB Read Concerns/Write Concerns"
(5.0+ implicit default write concern, with the PSA formula); "Write Concern" ("majority" is the
calculated majority of the data-bearing voting members); "Configure Non-Voting Replica Set
Member" (votes 0 needs priority 0; at most seven voting members); "Hidden Replica Set Members"
(priority 0, invisible to clients, may vote); "Configure a Delayed Replica Set Member" (priority
0, hidden, the delay applies to replication and to the member's oplog).
"""

import pytest

from caplab import ConfigError, UnknownNameError
from caplab.kv import Cluster


def _up(seed=1, want=None, **options):
    """A replica set with a writable primary (``want``, if given: after its priority takeover)."""
    c = Cluster(mode="cp", seed=seed, **options)
    c.run_until(lambda: c.backend.writable_primary not in (None, *([] if want is None else
                                                                   [n for n in c.nodes
                                                                    if n != want])),
                timeout_ms=8000)
    assert c.backend.writable_primary is not None and want in (None, c.primary)
    return c


def _secondary(c):
    return next(n for n, r in c.roles().items() if r == "secondary")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_psa_arbiter_votes_holds_no_data_and_is_never_primary(seed):
    """MongoDB: an arbiter participates in elections but holds no copy of the data and cannot
    become primary; in PSA it elects the secondary when the primary crashes."""
    c = _up(seed, nodes=3, arbiters=1)
    assert c.roles()["n3"] == "arbiter"
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1").ok
    c.run_for(300)
    assert c.backend.oplog("n3") == [] and all(r["node"] != "n3" for r in c.replica_records())
    old = c.primary
    c.crash(old)
    c.run_until(lambda: c.backend.writable_primary not in (None, old), timeout_ms=5000)
    assert c.primary not in (old, "n3") and c.roles()["n3"] == "arbiter"
    assert alice.get("x").value == "1"


def test_psa_implicit_default_write_concern_is_w1_and_pss_majority():
    """MongoDB 5.0+: if #arbiters > 0 and #non-arbiters <= majority(#voting nodes) the implicit
    default is {w: 1}, else {w: "majority"} (the manual's table: 2 + 1 arbiter -> w:1; 4 + 1
    arbiter -> majority)."""
    assert Cluster(mode="cp", nodes=3, seed=1, arbiters=1).backend.config["write_concern"] == 1
    assert Cluster(mode="cp", nodes=5, seed=1, arbiters=1).backend.config["write_concern"] \
        == "majority"
    assert Cluster(mode="cp", nodes=3, seed=1).backend.config["write_concern"] == "majority"
    psa = Cluster(mode="cp", nodes=3, seed=1, arbiters=1, write_concern="majority")
    assert psa.backend.config["write_concern"] == "majority"   # an explicit default wins


@pytest.mark.parametrize("seed", [1, 2])
def test_psa_majority_write_stalls_with_the_secondary_down(seed):
    """MongoDB: in PSA, w:"majority" cannot be satisfied while the data-bearing secondary is
    down (the arbiter cannot acknowledge writes), yet the primary keeps its role (it sees a
    majority of the votes) and the implicit {w: 1} default keeps writes going."""
    c = _up(seed, nodes=3, arbiters=1)
    primary = c.primary
    c.crash(_secondary(c))
    c.run_for(2000)
    assert c.primary == primary
    alice = c.client("alice", near=primary)
    stalled = alice.put("x", "m", w="majority", wtimeout_ms=1000)
    assert stalled.outcome == "info" and "wtimeout" in stalled.error
    assert alice.put("y", "1").ok


def test_a_pss_majority_write_survives_one_secondary_down():
    """The contrast: with a data-bearing third member, w:"majority" needs two of three and is
    acknowledged with one secondary down."""
    c = _up(1, nodes=3)
    c.crash(_secondary(c))
    c.run_for(300)
    assert c.client("alice", near=c.primary).put("x", "m", wtimeout_ms=1000).ok


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_arbiter_refuses_a_dry_run_while_it_sees_the_primary(seed):
    """MongoDB: "arbiters vote no in elections if they can see a healthy primary of equal or
    greater priority to the candidate, preventing flapping": a secondary cut off from the
    primary only never wins in PSA, and the primary keeps its term."""
    c = _up(seed, nodes=3, arbiters=1)
    old = c.primary
    cut = _secondary(c)
    c.cut(old, cut)
    c.cut(cut, old)
    c.run_for(5000)
    assert c.primary == old and c.backend.nodes[old].term == 1
    refusals = [e for e in c.sim.trace.of_kind("election")
                if e.node == "n3" and e.data.get("action") == "vote" and e.data.get("dry_run")
                and not e.data.get("granted")]
    assert refusals and all("arbiter" in e.data["reason"] for e in refusals)


def test_non_voting_members_replicate_but_do_not_count_for_a_majority():
    """MongoDB: votes:0 members hold data and can acknowledge w:<number> writes, but the
    majority is of the voting members: with the two other voters down the primary steps down,
    although three of five members are up."""
    members = {"n4": {"votes": 0, "priority": 0}, "n5": {"votes": 0, "priority": 0}}
    c = _up(1, "n1", nodes=5, members=members, priorities={"n1": 2})
    assert c.primary == "n1"
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1", w=5).ok
    assert [e.value for e in c.backend.oplog("n5") if e.op == "put"] == ["1"]
    c.crash("n2")
    c.crash("n3")
    c.run_for(2500)
    assert c.primary is None


def test_all_voting_five_members_keep_a_primary_with_two_down():
    """The contrast: five voting members keep a primary with two of them down (3 of 5)."""
    c = _up(1, "n1", nodes=5, priorities={"n1": 2})
    c.crash("n2")
    c.crash("n3")
    c.run_for(2500)
    assert c.primary == "n1"


@pytest.mark.parametrize("pref", ["secondary", "nearest"])
def test_hidden_members_are_invisible_to_reads_but_replicate_and_vote(pref):
    """MongoDB: clients do not distribute reads to hidden members; a hidden member keeps a copy
    of the data, may vote, and (priority 0) never becomes primary."""
    c = _up(1, "n1", nodes=3, members={"n3": {"hidden": True, "priority": 0}},
            priorities={"n1": 2})
    assert c.primary == "n1"
    bob = c.client("bob", near="n3")
    assert bob.put("x", "1").ok
    c.run_for(300)
    r = bob.get("x", read_preference=pref)
    assert r.ok and r.node != "n3"
    assert [e.value for e in c.backend.oplog("n3") if e.op == "put"] == ["1"]
    c.crash("n2")              # n1 still sees a majority of the votes: n3's
    c.run_for(2500)
    assert c.primary == "n1"
    c.crash("n1")
    c.restart("n2")
    c.run_for(3000)
    assert c.primary == "n2"   # never the hidden member


def test_a_delayed_member_applies_the_oplog_after_its_delay():
    """MongoDB secondaryDelaySecs: the delayed member's oplog lags by the delay, and it cannot
    acknowledge a write before the delay has passed (w:3 waits for it)."""
    c = _up(1, nodes=3, members={"n3": {"hidden": True, "priority": 0, "delay_ms": 2000}})
    alice = c.client("alice", near=c.primary)
    start = c.now
    assert alice.put("x", "1").ok
    c.run_for(1000)
    assert not [e for e in c.backend.oplog("n3") if e.op == "put"]
    assert [e.value for e in c.backend.oplog(_secondary(c)) if e.op == "put"] == ["1"]
    c.run_for(1500)
    assert [e.value for e in c.backend.oplog("n3") if e.op == "put"] == ["1"]
    w3 = alice.put("y", "2", w=3, timeout_ms=5000)
    assert w3.ok and w3.latency_ms >= 2000
    assert alice.put("z", "3", w="majority").latency_ms < 500   # majority: n1 + n2
    assert c.now - start > 2000


@pytest.mark.parametrize("options, words", [
    ({"members": {"n3": {"votes": 2}}}, ["votes", "0 or 1", "2"]),
    ({"members": {"n3": {"votes": 0}}}, ["votes=0", "priority=1", "priority 0"]),
    ({"members": {"n3": {"hidden": True}}}, ["hidden", "priority=1", "priority 0"]),
    ({"members": {"n3": {"delay_ms": 500, "priority": 0}}}, ["delay_ms=500", "hidden=False"]),
    ({"members": {"n3": {"arbiter": True, "priority": 1}}}, ["arbiter", "priority=1"]),
    ({"members": {"n3": {"arbiter": True, "votes": 0}}}, ["arbiter", "votes=0"]),
    ({"members": {"n3": {"witness": True}}}, ["witness", "arbiter", "votes", "delay_ms"]),
    ({"members": {"n9": {"votes": 0}}}, ["n9", "n1"]),
    ({"members": {"n3": "arbiter"}}, ["members", "'arbiter'"]),
    ({"arbiters": 3}, ["arbiters", "0..2", "3"]),
    ({"arbiters": 1, "members": {"n3": {"arbiter": False}}}, ["n3", "arbiter=False"]),
    ({"priorities": {"n3": 2}, "members": {"n3": {"priority": 3}}}, ["n3", "twice"]),
    ({"arbiters": 1, "write_concern": 3}, ["write_concern=3", "1 <= w <= 2", "data-bearing"]),
])
def test_bad_member_options_name_the_value_and_the_rule(options, words):
    """A bad member option raises an error that names the value and what MongoDB allows."""
    with pytest.raises(ConfigError) as err:
        Cluster(mode="cp", nodes=3, seed=1, **options)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_at_most_seven_voting_members():
    """MongoDB: a replica set has at most seven voting members; the others need votes=0."""
    with pytest.raises(ConfigError, match="8 voting members.*at most 7"):
        Cluster(mode="cp", nodes=8, seed=1)
    c = Cluster(mode="cp", nodes=8, seed=1, members={"n8": {"votes": 0, "priority": 0}})
    assert c.backend.nodes["n1"].majority == 4


def test_a_per_write_w_above_the_data_bearing_members_is_refused_and_nothing_changes():
    """In PSA, w:3 cannot be satisfied (the arbiter acknowledges nothing): refused up front."""
    c = _up(1, nodes=3, arbiters=1)
    alice = c.client("alice", near=c.primary)
    with pytest.raises(ConfigError, match="w=3.*2 data-bearing"):
        alice.put("x", "1", w=3)
    assert not c.history


def test_describe_names_the_arbiter_role_and_the_w_choices():
    """Views draw an arbiter with its own symbol and label; w offers 1..data-bearing members."""
    c = _up(1, nodes=3, arbiters=1)
    desc = c.describe()
    assert desc.roles["arbiter"].label == "arbiter" and desc.roles["arbiter"].symbol != "circle"
    w = next(o for o in desc.options if o.name == "w")
    assert w.choices == ("majority", 1, 2)
    info = {row["node"]: row for row in c.node_records()}
    assert info["n3"]["arbiter"] and info["n3"]["role"] == "arbiter"
    with pytest.raises(UnknownNameError):
        Cluster(mode="cp", nodes=3, seed=1, members={"n3": {"witness": 1}})
